/**
 * Report constructors shared by the parsers, so that every "could not see" path produces the same shape: status
 * 'Unknown', no devices, and a reason a human can act on. A blind provider must never look like a healthy node.
 */
import type { Device, DeviceReport, ProviderName } from './types.ts';

/** ReportContext is what every parser is told about the sample it parses. */
export interface ReportContext {
  readonly provider: ProviderName;
  readonly tool: string;
  readonly observedAt: string;
}

/** unknownReport builds the report for a provider that could not see the devices. */
export function unknownReport(ctx: ReportContext, reason: string, toolVersion?: string): DeviceReport {
  return {
    provider: ctx.provider,
    tool: ctx.tool,
    ...(toolVersion === undefined ? {} : { toolVersion }),
    observedAt: ctx.observedAt,
    status: 'Unknown',
    reason,
    devices: [],
  };
}

/**
 * okReport builds the report for parsed devices. Zero devices is reported as 'Unknown': a node runs a vendor's
 * provider because it is expected to carry that vendor's devices, so an empty listing means the tool saw nothing,
 * not that nothing is wrong.
 */
export function okReport(ctx: ReportContext, devices: readonly Device[], toolVersion?: string): DeviceReport {
  if (devices.length === 0) return unknownReport(ctx, `${ctx.tool} listed no devices`, toolVersion);
  return {
    provider: ctx.provider,
    tool: ctx.tool,
    ...(toolVersion === undefined ? {} : { toolVersion }),
    observedAt: ctx.observedAt,
    status: 'Ok',
    devices,
  };
}

/** firstLine returns the first non-empty line of tool output, trimmed and capped, for use in a reason. */
export function firstLine(text: string, max = 200): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * OutputRejected is thrown inside a parser when the output cannot be trusted (shifted columns, a word where a number
 * belongs); the parser's entry point catches it and returns an Unknown report with the message as reason. Deep
 * helpers throw rather than thread a result type through every call.
 */
export class OutputRejected extends Error {
  override readonly name = 'OutputRejected';
}
