// The microphone's states, as the composer shows them. Pure, so every path is tested.

/** off → connecting (audio_start sent) → on (the server said audio_connection "on"). */
export type VoiceState = 'off' | 'connecting' | 'on';

/** What the live region last said; null when it has nothing to say. */
export type VoiceNotice = 'listening' | 'ended' | 'unavailable' | 'refused' | null;

export interface Voice {
  state: VoiceState;
  notice: VoiceNotice;
}

export type VoiceEvent =
  /** The user pressed the microphone button. */
  | 'start'
  /** The user pressed it again (or the composer went away). */
  | 'stop'
  /** audio_connection "on": the app's on_audio_start accepted. */
  | 'server_on'
  /** audio_connection "off", an error about audio, or no answer in time. */
  | 'server_off'
  /** The browser gave no microphone (denied, missing, or no secure context). */
  | 'mic_failed'
  /** The socket went away. */
  | 'disconnected';

export const VOICE_OFF: Voice = { state: 'off', notice: null };

export function nextVoice(voice: Voice, event: VoiceEvent): Voice {
  const { state } = voice;
  switch (event) {
    case 'start':
      return state === 'off' ? { state: 'connecting', notice: null } : voice;
    case 'server_on':
      // Only an answer to our own audio_start turns the microphone on: an "on"
      // replayed into a rejoined session, or arriving after a stop, does not.
      return state === 'connecting' ? { state: 'on', notice: 'listening' } : voice;
    case 'server_off':
      if (state === 'connecting') return { state: 'off', notice: 'refused' };
      return state === 'on' ? { state: 'off', notice: 'ended' } : voice;
    case 'mic_failed':
      return state === 'off' ? voice : { state: 'off', notice: 'unavailable' };
    case 'stop':
    case 'disconnected':
      return state === 'off' ? voice : { state: 'off', notice: 'ended' };
  }
}
