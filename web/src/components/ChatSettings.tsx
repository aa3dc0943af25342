import { useEffect, useId, useState, type ReactNode } from 'react';
import { useApp } from '../context';
import { t } from '../lib/i18n';
import { initialValues } from '../session/session';
import { useChat } from '../session/store';
import type { InputWidget, SettingsTab } from '../types';
import { CloseIcon } from './icons';
import { Modal } from './Modal';

type Values = Record<string, unknown>;

function Field({ widget, children, describedBy, fieldset }: { widget: InputWidget; children: ReactNode; describedBy: string; fieldset?: boolean }) {
  const description = widget.description ? (
    <span id={describedBy} className="field-help">
      {widget.description}
    </span>
  ) : null;
  if (fieldset) {
    return (
      <fieldset className="field" title={widget.tooltip ?? undefined}>
        <legend>{widget.label}</legend>
        {children}
        {description}
      </fieldset>
    );
  }
  return (
    <div className="field" title={widget.tooltip ?? undefined}>
      {children}
      {description}
    </div>
  );
}

function TagsInput({ id, value, onChange, disabled, describedBy }: { id: string; value: string[]; onChange: (v: string[]) => void; disabled: boolean; describedBy?: string }) {
  const [draft, setDraft] = useState('');
  const add = () => {
    const tag = draft.trim();
    if (tag && !value.includes(tag)) onChange([...value, tag]);
    setDraft('');
  };
  return (
    <div className="tags-input">
      {value.map((tag) => (
        <span key={tag} className="chip">
          {tag}
          <button type="button" className="icon-btn tiny" aria-label={t('chat.settings.removeTag', 'Remove {{name}}', { name: tag })} disabled={disabled} onClick={() => onChange(value.filter((v) => v !== tag))}>
            <CloseIcon size={12} />
          </button>
        </span>
      ))}
      <input
        id={id}
        value={draft}
        disabled={disabled}
        aria-describedby={describedBy}
        placeholder={t('chat.settings.addTag', 'Add and press Enter')}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' || event.key === ',') {
            event.preventDefault();
            add();
          }
        }}
        onBlur={add}
      />
    </div>
  );
}

function dateOnly(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 10) : '';
}

export function Widget({ widget, value, onChange }: { widget: InputWidget; value: unknown; onChange: (v: unknown) => void }) {
  const id = useId();
  const help = `${id}-help`;
  const describedBy = widget.description ? help : undefined;
  const disabled = !!widget.disabled;
  const label = <label htmlFor={id}>{widget.label}</label>;
  switch (widget.type) {
    case 'switch':
      return (
        <Field widget={widget} describedBy={help}>
          <div className="switch-row">
            <span id={`${id}-label`}>{widget.label}</span>
            <button
              id={id}
              type="button"
              role="switch"
              className="switch"
              aria-checked={!!value}
              aria-labelledby={`${id}-label`}
              aria-describedby={describedBy}
              disabled={disabled}
              onClick={() => onChange(!value)}
            >
              <span className="knob" />
            </button>
          </div>
        </Field>
      );
    case 'checkbox':
      return (
        <Field widget={widget} describedBy={help}>
          <label className="check-row">
            <input type="checkbox" checked={!!value} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(event.target.checked)} />
            {widget.label}
          </label>
        </Field>
      );
    case 'slider':
      return (
        <Field widget={widget} describedBy={help}>
          <div className="slider-label">
            {label}
            <output htmlFor={id}>{String(value ?? '')}</output>
          </div>
          <input id={id} type="range" min={widget.min ?? 0} max={widget.max ?? 10} step={widget.step ?? 1} value={Number(value ?? widget.min ?? 0)} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(Number(event.target.value))} />
        </Field>
      );
    case 'select':
      return (
        <Field widget={widget} describedBy={help}>
          {label}
          <select id={id} value={String(value ?? '')} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(event.target.value)}>
            {(widget.items ?? []).map((item) => (
              <option key={item.value} value={item.value}>
                {item.label}
              </option>
            ))}
          </select>
        </Field>
      );
    case 'textinput':
      return (
        <Field widget={widget} describedBy={help}>
          {label}
          {widget.multiline ? (
            <textarea id={id} rows={3} value={String(value ?? '')} placeholder={widget.placeholder ?? undefined} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(event.target.value)} />
          ) : (
            <input id={id} type="text" value={String(value ?? '')} placeholder={widget.placeholder ?? undefined} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(event.target.value)} />
          )}
        </Field>
      );
    case 'numberinput':
      return (
        <Field widget={widget} describedBy={help}>
          {label}
          <input id={id} type="number" value={value === null || value === undefined ? '' : String(value)} placeholder={widget.placeholder ?? undefined} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(event.target.value === '' ? null : Number(event.target.value))} />
        </Field>
      );
    case 'tags':
      return (
        <Field widget={widget} describedBy={help}>
          {label}
          <TagsInput id={id} value={Array.isArray(value) ? value.map(String) : []} onChange={onChange} disabled={disabled} describedBy={describedBy} />
        </Field>
      );
    case 'multiselect': {
      const selected = new Set(Array.isArray(value) ? value.map(String) : []);
      return (
        <Field widget={widget} describedBy={help} fieldset>
          {(widget.items ?? []).map((item) => (
            <label key={item.value} className="check-row">
              <input
                type="checkbox"
                checked={selected.has(item.value)}
                disabled={disabled}
                onChange={(event) => {
                  const next = new Set(selected);
                  if (event.target.checked) next.add(item.value);
                  else next.delete(item.value);
                  onChange((widget.items ?? []).map((i) => i.value).filter((v) => next.has(v)));
                }}
              />
              {item.label}
            </label>
          ))}
        </Field>
      );
    }
    case 'radio':
      return (
        <Field widget={widget} describedBy={help} fieldset>
          {(widget.items ?? []).map((item) => (
            <label key={item.value} className="check-row">
              <input type="radio" name={id} value={item.value} checked={String(value) === item.value} disabled={disabled} onChange={() => onChange(item.value)} />
              {item.label}
            </label>
          ))}
        </Field>
      );
    case 'datepicker': {
      const min = dateOnly(widget.min_date) || undefined;
      const max = dateOnly(widget.max_date) || undefined;
      if (widget.mode === 'range') {
        const range = Array.isArray(value) ? value : [null, null];
        return (
          <Field widget={widget} describedBy={help} fieldset>
            <div className="date-range">
              <label>
                {t('chat.settings.from', 'From')}
                <input type="date" min={min} max={max} value={dateOnly(range[0])} disabled={disabled} onChange={(event) => onChange([event.target.value || null, range[1] ?? null])} />
              </label>
              <label>
                {t('chat.settings.to', 'To')}
                <input type="date" min={min} max={max} value={dateOnly(range[1])} disabled={disabled} onChange={(event) => onChange([range[0] ?? null, event.target.value || null])} />
              </label>
            </div>
          </Field>
        );
      }
      return (
        <Field widget={widget} describedBy={help}>
          {label}
          <input id={id} type="date" min={min} max={max} value={dateOnly(value)} disabled={disabled} aria-describedby={describedBy} onChange={(event) => onChange(event.target.value || null)} />
        </Field>
      );
    }
    default:
      return null;
  }
}

export function ChatSettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { session } = useApp();
  const inputs = useChat(session.store, (s) => s.chatSettings);
  const saved = useChat(session.store, (s) => s.chatSettingsValues);
  const [values, setValues] = useState<Values>(saved);
  const tabs = inputs.filter((i): i is SettingsTab => 'inputs' in i);
  const loose = inputs.filter((i): i is InputWidget => !('inputs' in i));
  const [tab, setTab] = useState(0);
  useEffect(() => {
    if (open) setValues(saved);
  }, [open, saved]);

  const change = (id: string, value: unknown) => {
    const next = { ...values, [id]: value };
    setValues(next);
    session.editSettings(next);
  };
  const widgets = (list: InputWidget[]) =>
    list.map((widget) => <Widget key={widget.id} widget={widget} value={values[widget.id]} onChange={(v) => change(widget.id, v)} />);

  return (
    <Modal open={open} title={t('chat.settings.title', 'Settings')} onClose={onClose}>
      <form
        className="settings-form"
        onSubmit={(event) => {
          event.preventDefault();
          session.changeSettings(values);
          onClose();
        }}
      >
        {tabs.length > 0 && (
          <div className="tabs" role="tablist">
            {tabs.map((item, index) => (
              <button key={item.id} type="button" role="tab" aria-selected={tab === index} className={`tab${tab === index ? ' active' : ''}`} onClick={() => setTab(index)}>
                {item.label}
              </button>
            ))}
          </div>
        )}
        <div className="settings-fields" role={tabs.length ? 'tabpanel' : undefined}>
          {widgets(loose)}
          {tabs[tab] && widgets(tabs[tab].inputs)}
        </div>
        <div className="modal-actions">
          <button type="button" className="btn ghost" onClick={() => setValues(initialValues(inputs))}>
            {t('chat.settings.reset', 'Reset')}
          </button>
          <button type="submit" className="btn primary" data-testid="confirm-chat-settings">
            {t('chat.settings.confirm', 'Confirm')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
