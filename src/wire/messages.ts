/**
 * The wire's message types under short names, re-exported from the generated definitions. A plain name is what a
 * sender builds (lenient: numbers may be strings, nulls allowed); the `…Out` name is what a receiver gets (decoded
 * with LOADER_OPTIONS: 64-bit integers as numbers, enums as strings, absent fields absent). Decoded messages also carry
 * protobuf.js's virtual oneof names: `payload` says which payload is set, and each proto3 `optional` field present
 * comes with a `_<field>` property naming it (that is how proto3 encodes explicit presence); read the field itself.
 */
export type { AgentMessage, AgentMessage__Output as AgentMessageOut } from './generated/suanwang/agent/v1/AgentMessage.ts';
export type { OperatorMessage, OperatorMessage__Output as OperatorMessageOut } from './generated/suanwang/agent/v1/OperatorMessage.ts';
export type { RegisterRequest, RegisterRequest__Output as RegisterRequestOut } from './generated/suanwang/agent/v1/RegisterRequest.ts';
export type { RegisterResponse, RegisterResponse__Output as RegisterResponseOut } from './generated/suanwang/agent/v1/RegisterResponse.ts';
export type { Hello, Hello__Output as HelloOut } from './generated/suanwang/agent/v1/Hello.ts';
export type { Heartbeat, Heartbeat__Output as HeartbeatOut } from './generated/suanwang/agent/v1/Heartbeat.ts';
export type { SiteSnapshot, SiteSnapshot__Output as SiteSnapshotOut } from './generated/suanwang/agent/v1/SiteSnapshot.ts';
export type { SiteDelta, SiteDelta__Output as SiteDeltaOut } from './generated/suanwang/agent/v1/SiteDelta.ts';
export type { HealthEvent, HealthEvent__Output as HealthEventOut } from './generated/suanwang/agent/v1/HealthEvent.ts';
export type { ConfigUpdate, ConfigUpdate__Output as ConfigUpdateOut } from './generated/suanwang/agent/v1/ConfigUpdate.ts';
export type { FencedWorkload, FencedWorkload__Output as FencedWorkloadOut } from './generated/suanwang/agent/v1/FencedWorkload.ts';
export type { MemberSync, MemberSync__Output as MemberSyncOut } from './generated/suanwang/agent/v1/MemberSync.ts';
export type { MemberReport, MemberReport__Output as MemberReportOut } from './generated/suanwang/agent/v1/MemberReport.ts';
export type { MemberState, MemberState__Output as MemberStateOut } from './generated/suanwang/agent/v1/MemberState.ts';
export type { MemberRef, MemberRef__Output as MemberRefOut } from './generated/suanwang/agent/v1/MemberRef.ts';
export type { DesiredMember, DesiredMember__Output as DesiredMemberOut } from './generated/suanwang/agent/v1/DesiredMember.ts';
export type { NodePool, NodePool__Output as NodePoolOut } from './generated/suanwang/agent/v1/NodePool.ts';
export type { FreeShape, FreeShape__Output as FreeShapeOut } from './generated/suanwang/agent/v1/FreeShape.ts';
export type { FreeBucket, FreeBucket__Output as FreeBucketOut } from './generated/suanwang/agent/v1/FreeBucket.ts';
export type { Device, Device__Output as DeviceOut } from './generated/suanwang/agent/v1/Device.ts';
export type { DeviceTelemetry, DeviceTelemetry__Output as DeviceTelemetryOut } from './generated/suanwang/agent/v1/DeviceTelemetry.ts';
export type { SiteAgentClient, SiteAgentHandlers } from './generated/suanwang/agent/v1/SiteAgent.ts';
