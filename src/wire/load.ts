/**
 * Loads the agent protocol from proto/suanwang/agent/v1/agent.proto at run time and types it with the definitions
 * scripts/gen-proto.sh generated from the same file. The loader options here and the generator flags in that script
 * must agree; generated.test.ts regenerates and compares, so a drift fails the unit tests.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/agent.ts';

/** PROTO_ROOT is the include directory holding the project's .proto files. */
export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));

/** AGENT_PROTO is the protocol file, relative to PROTO_ROOT. */
export const AGENT_PROTO = 'suanwang/agent/v1/agent.proto';

/**
 * LOADER_OPTIONS: camelCase field names; 64-bit integers as numbers (the protocol keeps them below 2^53, see the
 * proto's header); enums as their names; `defaults: false` so an absent `optional` measurement stays absent instead of
 * turning into 0; `oneofs: true` so each oneof's name tells which payload is set.
 */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
} as const satisfies protoLoader.Options;

/** AgentProtocol is the typed `suanwang.agent.v1` package: message types and the SiteAgent service. */
export type AgentProtocol = ProtoGrpcType['suanwang']['agent']['v1'];

let loaded: AgentProtocol | undefined;

/** loadAgentProtocol parses the proto once per process and returns the typed package. */
export function loadAgentProtocol(): AgentProtocol {
  if (!loaded) {
    const definition = protoLoader.loadSync(AGENT_PROTO, { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    // The cast is the one place where runtime loading meets the generated types; both come from the same file.
    loaded = (grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType).suanwang.agent.v1;
  }
  return loaded;
}
