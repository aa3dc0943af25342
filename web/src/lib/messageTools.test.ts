import { describe, expect, it } from 'vitest';
import { messageTools, type ToolContext, type ToolStep } from './messageTools';

const reply: ToolStep = { type: 'assistant_message', output: 'Hi there' };
const signedIn: ToolContext = { signedIn: true, dataPersistence: true, readOnly: false };

describe('messageTools', () => {
  it('gives a finished reply copy and thumbs for a signed-in user with a data layer', () => {
    expect(messageTools(reply, 'on_message', signedIn)).toEqual({ copy: true, feedback: true });
  });

  it('gives anonymous users no thumbs: their feedback cannot be kept', () => {
    expect(messageTools(reply, 'on_message', { ...signedIn, signedIn: false })).toEqual({
      copy: true,
      feedback: false,
    });
  });

  it('gives no thumbs without a data layer or in a read-only view', () => {
    expect(messageTools(reply, 'on_message', { ...signedIn, dataPersistence: false }).feedback).toBe(false);
    expect(messageTools(reply, 'on_message', { ...signedIn, readOnly: true }).feedback).toBe(false);
  });

  it('gives an ask prompt nothing, answered or not', () => {
    expect(messageTools({ ...reply, waitForAnswer: true }, 'on_message', signedIn)).toEqual({
      copy: false,
      feedback: false,
    });
  });

  it('gives a root notice such as "Task manually stopped." nothing', () => {
    const notice = { type: 'assistant_message', output: 'Task manually stopped.' };
    expect(messageTools(notice, null, signedIn)).toEqual({ copy: false, feedback: false });
  });

  it('gives a greeting sent from on_chat_start nothing', () => {
    expect(messageTools(reply, 'on_chat_start', signedIn)).toEqual({ copy: false, feedback: false });
  });

  it('counts replies in runs of the app or of unknown ancestry', () => {
    expect(messageTools(reply, 'on_audio_end', signedIn).feedback).toBe(true);
    expect(messageTools(reply, 'my_run', signedIn).feedback).toBe(true);
    expect(messageTools(reply, undefined, signedIn).feedback).toBe(true);
  });

  it('waits for the end of a stream and for some content', () => {
    expect(messageTools({ ...reply, streaming: true }, 'on_message', signedIn).copy).toBe(false);
    expect(messageTools({ ...reply, output: '' }, 'on_message', signedIn).copy).toBe(false);
  });
});
