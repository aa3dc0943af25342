import { describe, expect, it } from 'vitest';
import { messageTools, type ToolContext, type ToolStep } from './messageTools';

const reply: ToolStep = { type: 'assistant_message', output: 'Hi there', parentId: 'run-1' };
const signedIn: ToolContext = { signedIn: true, dataPersistence: true, readOnly: false };

describe('messageTools', () => {
  it('gives a finished reply copy and thumbs for a signed-in user with a data layer', () => {
    expect(messageTools(reply, signedIn)).toEqual({ copy: true, feedback: true });
  });

  it('gives anonymous users no thumbs: their feedback cannot be kept', () => {
    expect(messageTools(reply, { ...signedIn, signedIn: false })).toEqual({ copy: true, feedback: false });
  });

  it('gives no thumbs without a data layer or in a read-only view', () => {
    expect(messageTools(reply, { ...signedIn, dataPersistence: false }).feedback).toBe(false);
    expect(messageTools(reply, { ...signedIn, readOnly: true }).feedback).toBe(false);
  });

  it('gives an ask prompt nothing, answered or not', () => {
    expect(messageTools({ ...reply, waitForAnswer: true }, signedIn)).toEqual({ copy: false, feedback: false });
  });

  it('gives a root notice such as "Task manually stopped." nothing', () => {
    const notice = { type: 'assistant_message', output: 'Task manually stopped.', parentId: null };
    expect(messageTools(notice, signedIn)).toEqual({ copy: false, feedback: false });
  });

  it('waits for the end of a stream and for some content', () => {
    expect(messageTools({ ...reply, streaming: true }, signedIn).copy).toBe(false);
    expect(messageTools({ ...reply, output: '' }, signedIn).copy).toBe(false);
  });
});
