// OpenAI Agents JS: tools declared with `needsApproval` interrupt the run; these ask a
// person through PausePoint about each interruption, approve or reject it on the run's
// state (a rejection's message reaches the model), and resume.
//
//   const result = await runWithApprovals(runner, agent, 'Pay invoice 42', { recipient: '+13128471928' });
// No import of `@openai/agents` at run time: it works on the objects the SDK returns.
import { PausePoint } from './client.js';
import { ask, describeCall, type ApprovalOptions } from './approval.js';

interface ApprovalItemLike {
  name?: string;
  arguments?: string;
  rawItem?: { name?: string; arguments?: string; callId?: string };
}

interface RunStateLike {
  approve(item: never, options?: unknown): void;
  reject(item: never, options?: { message?: string } & Record<string, unknown>): void;
}

interface RunResultLike {
  interruptions?: ApprovalItemLike[];
  state: RunStateLike;
}

export interface AgentsApprovalOptions extends Omit<ApprovalOptions, 'message'> {
  /** The question; default `Allow ${toolName}?`. */
  message?: string | ((toolName: string, args: string) => string);
}

/** Asks about every interruption of `result` at once and returns the state to resume
 * from (`runner.run(agent, state)` or `run(agent, state)`). */
export async function resolveInterruptions<S extends RunStateLike>(result: RunResultLike & { state: S }, opts: AgentsApprovalOptions): Promise<S> {
  const client = opts.client ?? new PausePoint();
  const { message, ...rest } = opts;
  await Promise.all((result.interruptions ?? []).map(async (item) => {
    const name = item.name ?? item.rawItem?.name ?? 'tool';
    const args = item.arguments ?? item.rawItem?.arguments ?? '';
    let input: unknown = args;
    try { input = JSON.parse(args); } catch { /* keep the text */ }
    const text = typeof message === 'function' ? message(name, args) : (message ?? `Allow ${name}?`);
    const { approved, pause } = await ask(client, rest, text, describeCall(name, input), {
      tool: name,
      ...(item.rawItem?.callId ? { tool_call_id: item.rawItem.callId } : {}),
    });
    if (approved) {
      result.state.approve(item as never);
    } else {
      const who = pause.responded_by === 'timeout_default' ? 'nobody answered in time, the default' : 'a person';
      const why = `The call was not approved: ${who} chose ${JSON.stringify(pause.choice)} (PausePoint ${pause.pause_id}).` +
        (pause.response_comment ? ` Their comment: ${pause.response_comment}` : '');
      result.state.reject(item as never, { message: why });
    }
  }));
  return result.state;
}

/** Runs the agent, resolving approval interruptions through PausePoint until it
 * finishes (at most `maxRounds` rounds). `runner` is a `Runner` (or anything with
 * `run(agent, input)`). */
export async function runWithApprovals<R extends RunResultLike>(
  runner: { run(agent: never, input: never, options?: never): Promise<R> },
  agent: unknown,
  input: unknown,
  opts: AgentsApprovalOptions & { maxRounds?: number; runOptions?: Record<string, unknown> },
): Promise<R> {
  const { maxRounds = 10, runOptions, ...ask } = opts;
  const run = (i: unknown) => runner.run(agent as never, i as never, runOptions as never);
  let result = await run(input);
  for (let round = 0; round < maxRounds; round++) {
    if (!result.interruptions?.length) return result;
    result = await run(await resolveInterruptions(result, ask));
  }
  throw new Error(`still interrupted after ${maxRounds} rounds of approvals`);
}
