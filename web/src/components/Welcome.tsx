import { useApp } from '../context';
import { apiUrl } from '../lib/api';
import { t } from '../lib/i18n';
import { useTheme } from '../lib/theme';
import { Markdown } from './Markdown';

/**
 * The top of the first page, until the conversation starts: the app's logo (the
 * config's logo_file_url, else public/logo_<theme>), a welcome and the app's readme
 * (chainlit.md, the settings' `markdown`).
 */
export function Welcome() {
  const { settings } = useApp();
  const [theme] = useTheme();
  const logo = settings.ui.logo_file_url || apiUrl(`/logo?theme=${theme}`);
  return (
    <section className="welcome" data-testid="welcome" aria-labelledby="welcome-title">
      <img className="welcome-logo" src={logo} alt="" height={56} />
      <h2 id="welcome-title" className="welcome-title">
        {t('chat.welcome.title', 'Welcome to {{name}}', { name: settings.ui.name })}
      </h2>
      {settings.markdown ? (
        <div className="welcome-readme" data-testid="welcome-readme">
          <Markdown content={settings.markdown} />
        </div>
      ) : (
        <p className="welcome-hint">
          {t('chat.welcome.hint', 'Send a message below to start the conversation.')}
        </p>
      )}
    </section>
  );
}
