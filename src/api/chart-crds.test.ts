import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { CHART_CRD_DIR, chartCrdFiles, escapeTemplate, renderChartCrd, STALE_MESSAGE, staleChartCrds, writeChartCrds } from './chart-crds.ts';
import { REPO_ROOT } from './generate.ts';

type Json = Record<string, unknown>;

/**
 * evaluate renders a chart CRD template the way Helm would for the given values, for the few actions the
 * generator writes (if/end on crds.enabled and crds.keep, the label include, escaped braces). Enough to read the
 * YAML back without Helm; test/lab/charts-render.test.ts renders the real chart with the real helm.
 */
function evaluate(template: string, values: { enabled: boolean; keep: boolean }): string {
  const out: string[] = [];
  const stack: boolean[] = [];
  for (const line of template.split('\n')) {
    const m = /^\s*\{\{- (if \.Values\.crds\.(enabled|keep)|end) \}\}$/.exec(line);
    if (m) {
      if (m[1] === 'end') stack.pop();
      else stack.push(m[2] === 'enabled' ? values.enabled : values.keep);
      continue;
    }
    if (stack.some((v) => !v)) continue;
    if (line.includes('include "suanwang.releaseLabels"')) {
      out.push('    app.kubernetes.io/managed-by: Helm');
      continue;
    }
    out.push(line.replaceAll('{{ "{{" }}', '{{'));
  }
  return out.join('\n');
}

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** scratchRepo makes a repository root with crds/ holding the given files. */
function scratchRepo(crds: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'chart-crds-'));
  tmpDirs.push(root);
  mkdirSync(join(root, 'crds'));
  for (const [name, text] of Object.entries(crds)) writeFileSync(join(root, 'crds', name), text);
  return root;
}

const MINIMAL_CRD = [
  'apiVersion: apiextensions.k8s.io/v1',
  'kind: CustomResourceDefinition',
  'metadata:',
  '  labels:',
  '    app.kubernetes.io/part-of: suanwang',
  '  name: widgets.example.org',
  'spec:',
  '  group: example.org',
  '  names: {kind: Widget, plural: widgets}',
  '  scope: Namespaced',
  '  versions:',
  '    - name: v1',
  '      served: true',
  '      storage: true',
  '      schema:',
  '        openAPIV3Schema:',
  '          type: object',
  '          description: "Rendered with {{ .Values.x }} in the text"',
  '',
].join('\n');

describe('chart CRD templates', () => {
  it('are up to date with crds/', () => {
    expect(staleChartCrds(), STALE_MESSAGE).toEqual([]);
  });

  it('hold one template per CRD whose spec is the source spec, behind crds.enabled, kept when crds.keep', () => {
    const files = chartCrdFiles();
    expect(files.size).toBeGreaterThan(0);
    for (const [path, template] of files) {
      const name = path.slice(CHART_CRD_DIR.length + 1);
      const source = load(readFileSync(join(REPO_ROOT, 'crds', name), 'utf8')) as Json;
      const kept = load(evaluate(template, { enabled: true, keep: true })) as Json;
      expect(kept['spec'], path).toEqual(source['spec']);
      expect(kept['metadata'], path).toEqual({
        name: (source['metadata'] as Json)['name'],
        labels: { ...((source['metadata'] as Json)['labels'] as Json), 'app.kubernetes.io/managed-by': 'Helm' },
        annotations: { 'helm.sh/resource-policy': 'keep' },
      });
      const notKept = load(evaluate(template, { enabled: true, keep: false })) as Json;
      expect((notKept['metadata'] as Json)['annotations'], path).toBeUndefined();
      expect(load(evaluate(template, { enabled: false, keep: true })), path).toBeUndefined();
    }
  });

  it('escape template braces in the CRD text, so Helm prints them instead of running them', () => {
    const template = renderChartCrd('crds/widgets.example.org.yaml', load(MINIMAL_CRD));
    expect(template).not.toContain('"Rendered with {{ .Values');
    expect(template).toContain('{{ "{{" }} .Values.x }}');
    const back = load(evaluate(template, { enabled: true, keep: true })) as { spec: { versions: Array<{ schema: { openAPIV3Schema: { description: string } } }> } };
    expect(back.spec.versions[0]?.schema.openAPIV3Schema.description).toBe('Rendered with {{ .Values.x }} in the text');
    expect(escapeTemplate('a {{ b }} {{c}}')).toBe('a {{ "{{" }} b }} {{ "{{" }}c}}');
  });

  it('refuse sources that are not plain CRDs or that set labels the chart owns', () => {
    const cases: Array<{ name: string; doc: unknown; want: RegExp }> = [
      { name: 'not a CRD', doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: {} }, want: /expected an apiextensions\.k8s\.io\/v1 CustomResourceDefinition/ },
      { name: 'annotations in the source', doc: { ...(load(MINIMAL_CRD) as Json), metadata: { name: 'w', annotations: { a: 'b' } } }, want: /only metadata\.name, metadata\.labels and spec/ },
      { name: 'a status', doc: { ...(load(MINIMAL_CRD) as Json), status: {} }, want: /only metadata\.name/ },
      { name: 'a chart-owned label', doc: { ...(load(MINIMAL_CRD) as Json), metadata: { name: 'w', labels: { 'app.kubernetes.io/managed-by': 'me' } } }, want: /labels app\.kubernetes\.io\/managed-by are set by the chart/ },
    ];
    for (const c of cases) expect(() => renderChartCrd('crds/x.yaml', c.doc), c.name).toThrow(c.want);
  });

  it('report a changed, missing or orphaned template as stale, and writeChartCrds repairs all three', () => {
    const root = scratchRepo({ 'widgets.example.org.yaml': MINIMAL_CRD, 'gadgets.example.org.yaml': MINIMAL_CRD.replaceAll('widget', 'gadget') });
    expect(staleChartCrds(root)).toEqual([`${CHART_CRD_DIR}/gadgets.example.org.yaml`, `${CHART_CRD_DIR}/widgets.example.org.yaml`]);
    expect(writeChartCrds(root).sort()).toEqual([`${CHART_CRD_DIR}/gadgets.example.org.yaml`, `${CHART_CRD_DIR}/widgets.example.org.yaml`]);
    expect(staleChartCrds(root)).toEqual([]);

    writeFileSync(join(root, CHART_CRD_DIR, 'widgets.example.org.yaml'), '# edited by hand\n');
    writeFileSync(join(root, CHART_CRD_DIR, 'old.example.org.yaml'), 'stale\n');
    rmSync(join(root, CHART_CRD_DIR, 'gadgets.example.org.yaml'));
    expect(staleChartCrds(root)).toEqual([
      `${CHART_CRD_DIR}/gadgets.example.org.yaml`,
      `${CHART_CRD_DIR}/old.example.org.yaml (no source in crds/)`,
      `${CHART_CRD_DIR}/widgets.example.org.yaml`,
    ]);
    writeChartCrds(root);
    expect(staleChartCrds(root)).toEqual([]);
  });

  it('render the same bytes twice', () => {
    expect([...chartCrdFiles()]).toEqual([...chartCrdFiles()]);
  });
});
