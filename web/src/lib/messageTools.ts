// Which tools (copy, thumbs) an assistant message offers.
//
// As in Chainlit's UI: only replies made inside a run (they have a parent) carry them, so
// a root notice such as "Task manually stopped." does not; neither does a question the
// app asks (an ask prompt), answered or not. Thumbs also need somewhere to keep the
// feedback: a data layer and a signed-in user, in a conversation of one's own.

export interface ToolStep {
  type?: string | null;
  output?: string | null;
  parentId?: string | null;
  waitForAnswer?: boolean | null;
  streaming?: boolean | null;
}

export interface ToolContext {
  signedIn: boolean;
  dataPersistence: boolean;
  readOnly: boolean;
}

export interface MessageTools {
  copy: boolean;
  feedback: boolean;
}

export function messageTools(step: ToolStep, context: ToolContext): MessageTools {
  const reply =
    step.type !== 'user_message' &&
    !step.streaming &&
    !!step.output &&
    !step.waitForAnswer &&
    !!step.parentId;
  return {
    copy: reply,
    feedback: reply && context.signedIn && context.dataPersistence && !context.readOnly,
  };
}
