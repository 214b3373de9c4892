// Vercel AI SDK: a person decides tool calls from their phone through PausePoint.
//
//   AI SDK 7:  generateText({ model, tools, toolApproval: pausePointApproval({ recipient }) })
//   AI SDK 6:  tools with `needsApproval: true`, then
//              messages.push(await approvalResponses(result.content, { recipient }))
// No import of `ai` at run time: these are plain functions of the shapes it passes.
import { PausePoint } from './client.js';
import { ask, describeCall, type ApprovalOptions } from './approval.js';

export interface AiApprovalOptions extends Omit<ApprovalOptions, 'message'> {
  /** The question; default `Allow ${toolName}?`. */
  message?: string | ((toolName: string, input: unknown) => string);
  /** Only these tools are asked about; others are 'not-applicable'. Default: all. */
  tools?: string[];
}

export type ApprovalStatus = 'not-applicable' | { type: 'approved' | 'denied'; reason?: string };

interface ToolCallLike {
  toolName: string;
  toolCallId?: string;
  input: unknown;
}

function reasonFor(approved: boolean, pause: { choice: string | null; pause_id: string; responded_by: string | null; response_comment: string | null }): string {
  const who = pause.responded_by === 'timeout_default' ? 'nobody answered in time, the default' : 'a person';
  const verdict = approved ? 'approved' : 'not approved';
  return `The call was ${verdict}: ${who} chose ${JSON.stringify(pause.choice)} (PausePoint ${pause.pause_id}).` +
    (pause.response_comment ? ` Their comment: ${pause.response_comment}` : '');
}

async function decide(opts: AiApprovalOptions, call: ToolCallLike) {
  const client = opts.client ?? new PausePoint();
  const message = typeof opts.message === 'function' ? opts.message(call.toolName, call.input) : (opts.message ?? `Allow ${call.toolName}?`);
  const { message: _m, tools: _t, ...rest } = opts;
  const { approved, pause } = await ask(client, rest, message, describeCall(call.toolName, call.input), {
    tool: call.toolName,
    ...(call.toolCallId ? { tool_call_id: call.toolCallId } : {}),
  });
  return { approved, pause, reason: reasonFor(approved, pause) };
}

/** AI SDK 7 `toolApproval` (the generic function form): every tool call (or those in
 * `tools`) waits for a person's answer; a denial's reason is shown to the model. */
export function pausePointApproval(opts: AiApprovalOptions) {
  return async ({ toolCall }: { toolCall: ToolCallLike }): Promise<ApprovalStatus> => {
    if (opts.tools && !opts.tools.includes(toolCall.toolName)) return 'not-applicable';
    const { approved, reason } = await decide(opts, toolCall);
    return { type: approved ? 'approved' : 'denied', reason };
  };
}

/** AI SDK 7 per-tool form: `toolApproval: { wire: approveThrough('wire', { recipient }) }`. */
export function approveThrough(toolName: string, opts: AiApprovalOptions) {
  return async (input: unknown, options: { toolCallId?: string } = {}): Promise<ApprovalStatus> => {
    const { approved, reason } = await decide(opts, { toolName, input, toolCallId: options.toolCallId });
    return { type: approved ? 'approved' : 'denied', reason };
  };
}

interface ApprovalRequestPart {
  type: 'tool-approval-request';
  approvalId: string;
  toolCall: ToolCallLike;
}

/** AI SDK 6 (`needsApproval: true`) and 7 (`'user-approval'`): asks about every
 * `tool-approval-request` in a result's content (all at once) and returns the tool
 * message of `tool-approval-response`s to append before calling the model again. */
export async function approvalResponses(content: ReadonlyArray<{ type: string }>, opts: AiApprovalOptions) {
  const requests = content.filter((p): p is ApprovalRequestPart => p.type === 'tool-approval-request');
  const parts = await Promise.all(requests.map(async (r) => {
    const { approved, reason } = await decide(opts, r.toolCall);
    return { type: 'tool-approval-response' as const, approvalId: r.approvalId, approved, reason };
  }));
  return { role: 'tool' as const, content: parts };
}
