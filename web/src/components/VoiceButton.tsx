import { useEffect } from 'react';
import type { VoiceNotice } from '../audio/voiceState';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { useChat } from '../session/store';
import { MicIcon, Spinner } from './icons';

function noticeText(notice: VoiceNotice): string {
  switch (notice) {
    case 'listening':
      return t('chat.speech.listening', 'Listening. Speak now, then press stop.');
    case 'ended':
      return t('chat.speech.ended', 'Voice input ended');
    case 'unavailable':
      return t('chat.speech.unavailable', 'The microphone could not be used');
    case 'refused':
      return t('chat.speech.refused', 'Voice input is not available right now');
    default:
      return '';
  }
}

/** The composer's microphone (features.audio): press to talk, press again to finish. */
export function VoiceButton({ disabled, sampleRate }: { disabled: boolean; sampleRate: number }) {
  const { session, settings } = useApp();
  const voice = useChat(session.store, (s) => s.voice);
  const audio = settings.features.audio;

  useEffect(() => {
    session.voice.sampleRate = sampleRate;
    session.voice.vad = audio;
  }, [session, sampleRate, audio]);
  // Leaving the chat (another thread, logout) lets go of the microphone.
  useEffect(() => () => session.voice.stop(), [session]);

  const active = voice.state !== 'off';
  const label = active ? t('chat.speech.stop', 'Stop voice input') : t('chat.speech.start', 'Start voice input');
  const status = voice.state === 'connecting' ? t('chat.speech.connecting', 'Connecting') : noticeText(voice.notice);
  return (
    <>
      <button
        type="button"
        className={`icon-btn voice-btn${voice.state === 'on' ? ' recording' : ''}`}
        aria-label={label}
        title={label}
        data-testid="voice-button"
        data-state={voice.state}
        disabled={disabled && !active}
        onClick={() => (active ? session.voice.stop() : session.voice.start())}
      >
        {voice.state === 'connecting' ? <Spinner size={16} /> : <MicIcon />}
      </button>
      <span className="visually-hidden" role="status" data-testid="voice-status">
        {status}
      </span>
    </>
  );
}
