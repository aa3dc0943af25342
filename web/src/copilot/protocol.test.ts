import { describe, expect, it } from 'vitest';
import { COPILOT_TAG, isCopilotMessage, messageText } from './protocol';

describe('copilot bridge messages', () => {
  it('tells its own messages from the app’s window messages', () => {
    expect(isCopilotMessage({ [COPILOT_TAG]: 'new_chat' })).toBe(true);
    expect(isCopilotMessage({ from: 'host', text: 'hi' })).toBe(false);
    expect(isCopilotMessage('text')).toBe(false);
    expect(isCopilotMessage(null)).toBe(false);
    expect(isCopilotMessage({ [COPILOT_TAG]: 3 })).toBe(false);
  });

  it('reads what a host page hands to sendChainlitMessage', () => {
    expect(messageText('hello')).toBe('hello');
    expect(messageText({ output: 'a step', type: 'user_message' })).toBe('a step');
    expect(messageText({ content: 'a message' })).toBe('a message');
    expect(messageText({ other: 1 })).toBe('');
    expect(messageText(undefined)).toBe('');
  });
});
