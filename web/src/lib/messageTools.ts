// Which tools (copy, thumbs) an assistant message offers.
//
// As in Chainlit's UI: only replies made inside a run carry them, so a root notice such
// as "Task manually stopped." does not, nor does a greeting sent from on_chat_start (a
// run, but not a reply to anything); neither does a question the app asks (an ask
// prompt), answered or not. Thumbs also need somewhere to keep the feedback: a data
// layer and a signed-in user, in a conversation of one's own.

export interface ToolStep {
  type?: string | null;
  output?: string | null;
  waitForAnswer?: boolean | null;
  streaming?: boolean | null;
}

/**
 * The run a message was sent in: the name of its nearest ancestor of type `run`;
 * `null` when it has none (a root message), `undefined` when an ancestor is not known
 * (then it counts as a reply, as a nested message usually is).
 */
export type EnclosingRun = string | null | undefined;

export interface ToolContext {
  signedIn: boolean;
  dataPersistence: boolean;
  readOnly: boolean;
}

export interface MessageTools {
  copy: boolean;
  feedback: boolean;
}

const NOT_REPLIES = new Set(['on_chat_start']);

export function messageTools(step: ToolStep, run: EnclosingRun, context: ToolContext): MessageTools {
  const reply =
    step.type !== 'user_message' &&
    !step.streaming &&
    !!step.output &&
    !step.waitForAnswer &&
    run !== null &&
    !NOT_REPLIES.has(run ?? '');
  return {
    copy: reply,
    feedback: reply && context.signedIn && context.dataPersistence && !context.readOnly,
  };
}
