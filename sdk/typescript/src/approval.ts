// Asking a person about one action, shared by `requireApproval` and the framework hooks.
import { ApprovalDeniedError } from './errors.js';
import type { Pause, PausePoint } from './client.js';
import type { CreatePauseParams } from './types.js';

export interface ApprovalOptions extends Partial<Omit<CreatePauseParams, 'options'>> {
  /** Who decides: a phone number, an email address or a Slack id. */
  recipient: string;
  client?: PausePoint;
  /** Options shown; default ["Approve", "Reject"]. */
  options?: string[];
  /** The options that approve; default the first one. */
  approve?: string[];
  /** Seconds to wait for the answer; default: until the pause is decided. */
  timeout?: number;
}

const CONTEXT_LIMIT = 1000; // the API's limit on `context`

/** `name({"amount":8400})`, cut to the API's context limit. */
export function describeCall(name: string, input: unknown): string {
  let args: string;
  try {
    args = JSON.stringify(input) ?? '';
  } catch {
    args = String(input);
  }
  const text = `${name}(${args})`;
  return text.length <= CONTEXT_LIMIT ? text : `${text.slice(0, CONTEXT_LIMIT - 1)}…`;
}

export interface Decision {
  approved: boolean;
  pause: Pause;
}

/** Creates the pause, waits for the person, and says whether they approved. */
export async function ask(
  client: PausePoint,
  opts: ApprovalOptions,
  message: string,
  context: string,
  metadata?: Record<string, unknown>,
): Promise<Decision> {
  const { client: _c, approve, timeout, options = ['Approve', 'Reject'], recipient, ...rest } = opts;
  const pause = await client.pauses.create({
    ...rest,
    recipient,
    message,
    options,
    context: rest.context ?? context,
    metadata: rest.metadata ?? metadata ?? null,
  });
  const decided = await pause.wait({ timeout });
  const approving = approve ?? [options[0]];
  return { approved: decided.choice !== null && approving.includes(decided.choice), pause: decided };
}

/**
 * Wraps an async function so that each call first asks `recipient` and runs only if
 * they approve; otherwise it rejects with ApprovalDeniedError. The arguments are shown
 * to them; `message` may be a function of the arguments.
 */
export function requireApproval<A extends unknown[], R>(
  opts: Omit<ApprovalOptions, 'message'> & { message?: string | ((...args: A) => string) },
  fn: (...args: A) => Promise<R> | R,
): (...args: A) => Promise<R> {
  const name = fn.name || 'call';
  return async (...args: A) => {
    const { PausePoint } = await import('./client.js');
    const client = opts.client ?? new PausePoint();
    const message = typeof opts.message === 'function' ? opts.message(...args) : (opts.message ?? `Allow ${name}?`);
    const { message: _m, ...rest } = opts;
    const { approved, pause } = await ask(client, rest, message, describeCall(name, args.length === 1 ? args[0] : args));
    if (!approved) throw new ApprovalDeniedError(`Not approved: ${pause.choice ?? pause.status} (${pause.pause_id}).`, pause);
    return fn(...args);
  };
}
