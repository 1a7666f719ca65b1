#!/usr/bin/env node
// Prints what `make image` measured: for each OCI archive, its digest, labels, size (the archive, the compressed
// layers a registry stores and a node pulls, and the unpacked file system) and every layer with the instruction
// that made it; then the build's wall time and where it went. It reads the archives back with skopeo, so a report
// is also proof that a standard tool understands them.
//
//   node image/report.mjs --elapsed-ms MS --steps 'tools=MS deps=MS ...' --node VERSION ARCHIVE...
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';

const { values, positionals } = parseArgs({
  options: { 'elapsed-ms': { type: 'string' }, steps: { type: 'string' }, node: { type: 'string' } },
  allowPositionals: true,
});

function skopeo(...args) {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** unpackedSize counts the bytes of a gzip-compressed layer blob once decompressed. */
async function unpackedSize(blob) {
  let n = 0;
  for await (const chunk of createReadStream(blob).pipe(createGunzip())) n += chunk.length;
  return n;
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** describe shortens a history entry's created_by ("/bin/sh -c #(nop) COPY dir:… in /app/src ") to "COPY /app/src". */
function describe(createdBy) {
  const m = /#\(nop\)\s+(\w+)\s+(?:(?:dir|file|multi):\S+\s+in\s+)?(.*)$/.exec(createdBy ?? '');
  return m ? `${m[1]} ${m[2].trim()}` : (createdBy ?? '').trim();
}

for (const archive of positionals) {
  const ref = `oci-archive:${archive}`;
  // The digest a registry gives the image (or index) is the SHA-256 of these very bytes.
  const raw = skopeo('inspect', '--raw', ref);
  const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const manifest = JSON.parse(raw);
  if (manifest.manifests !== undefined) {
    // An image index: one tag for several architectures; its images are reported on their own.
    const platforms = manifest.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ''}`);
    console.log(`${archive}: image index of ${platforms.join(', ')}, ${digest}, archive ${mb(statSync(archive).size)} (shared layers stored once)`);
    continue;
  }
  const config = JSON.parse(skopeo('inspect', '--config', ref));
  const work = mkdtempSync(join(tmpdir(), 'suanwang-image-report-'));
  try {
    const t = spawnSync('tar', ['-xf', archive, '-C', work, 'blobs']);
    if (t.status !== 0) throw new Error(`tar -xf ${archive} failed: ${t.stderr}`);
    const made = (config.history ?? []).filter((h) => !h.empty_layer).map((h) => describe(h.created_by));
    const layers = [];
    for (const [i, l] of manifest.layers.entries()) {
      layers.push({ compressed: l.size, unpacked: await unpackedSize(join(work, 'blobs', l.digest.replace(':', '/'))), what: made[i] ?? '?' });
    }
    const labels = config.config?.Labels ?? {};
    const sum = (k) => layers.reduce((a, l) => a + l[k], 0);
    console.log(`${archive}: linux/${config.architecture}${config.variant ? `/${config.variant}` : ''}, ${digest}`);
    console.log(`  version ${labels['org.opencontainers.image.version']}, revision ${labels['org.opencontainers.image.revision']}, created ${labels['org.opencontainers.image.created']}, Node.js ${values.node ?? '?'}`);
    console.log(`  user ${config.config?.User}, entrypoint ${JSON.stringify(config.config?.Entrypoint)}, cmd ${JSON.stringify(config.config?.Cmd)}`);
    console.log(`  size: archive ${mb(statSync(archive).size)}, layers ${mb(sum('compressed'))} compressed (what a node pulls), ${mb(sum('unpacked'))} unpacked`);
    console.log(`  layers: ${layers.length}`);
    for (const l of layers) console.log(`    ${mb(l.compressed).padStart(9)} ${mb(l.unpacked).padStart(9)}  ${l.what}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
const steps = (values.steps ?? '').trim().split(/\s+/).filter(Boolean).map((s) => s.split('=')).map(([k, v]) => `${k} ${(Number(v) / 1000).toFixed(1)} s`);
console.log(`build: ${(Number(values['elapsed-ms']) / 1000).toFixed(1)} s (${steps.join(', ')})`);
