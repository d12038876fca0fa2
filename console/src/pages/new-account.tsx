/**
 * The accounts page's "New account" form: a platform API key (base URL and key) or a ChatGPT/Codex
 * OAuth login (tokens and account id), its name and groups. Credentials go to the admin API once
 * and are never shown again; their fields are password fields.
 */
import { api } from '../api.ts';
import { Outcome, Section, useAction } from '../components.tsx';
import { ActionForm, Field, formBody, Select, useForm } from '../forms.tsx';

type Kind = 'apikey' | 'oauth';
type CredentialName = 'baseUrl' | 'apiKey' | 'accessToken' | 'refreshToken' | 'chatgptAccountId';

interface CredentialField {
  name: CredentialName;
  label: string;
  /** Typed into a password field. */
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
}

/** What each kind of account is created with besides its name: the form shows and sends these only. */
const CREDENTIAL_FIELDS: Record<Kind, CredentialField[]> = {
  apikey: [
    { name: 'baseUrl', label: 'Base URL (optional)', placeholder: 'https://api.openai.com' },
    { name: 'apiKey', label: 'Platform API key', secret: true, required: true },
  ],
  oauth: [
    { name: 'accessToken', label: 'Access token', secret: true, required: true },
    { name: 'refreshToken', label: 'Refresh token', secret: true, required: true },
    { name: 'chatgptAccountId', label: 'ChatGPT account id', required: true },
  ],
};

export function CreateAccount({ onCreated }: { onCreated: () => Promise<void> }) {
  const { outcome, run } = useAction(onCreated);
  const { form, set, bind } = useForm({
    type: 'apikey',
    name: '',
    baseUrl: '',
    apiKey: '',
    accessToken: '',
    refreshToken: '',
    chatgptAccountId: '',
    groupIds: '',
  });
  const credentials = CREDENTIAL_FIELDS[form.type === 'apikey' ? 'apikey' : 'oauth'];
  return (
    <Section title="New account">
      <ActionForm
        onSubmit={() => {
          const used: Record<string, string> = { name: form.name };
          for (const field of credentials) used[field.name] = form[field.name];
          const groups = form.groupIds
            .split(',')
            .map((id) => id.trim())
            .filter(Boolean);
          const body = {
            type: form.type,
            ...formBody(used, 'omit'),
            ...(groups.length ? { groupIds: groups } : {}),
          };
          run(() => api('POST', '/accounts', { body }), `Account ${form.name} created.`);
        }}
      >
        <Select
          label="Type"
          value={form.type}
          onChange={set('type')}
          options={[
            { value: 'apikey', label: 'API key' },
            { value: 'oauth', label: 'ChatGPT/Codex OAuth' },
          ]}
        />
        <Field label="Account name" {...bind('name')} required />
        {credentials.map((field) => (
          <Field
            key={field.name}
            label={field.label}
            type={field.secret ? 'password' : 'text'}
            {...bind(field.name)}
            placeholder={field.placeholder}
            required={field.required}
          />
        ))}
        <Field label="Groups (comma-separated)" {...bind('groupIds')} placeholder="default" />
        <button type="submit">Create account</button>
      </ActionForm>
      <Outcome {...outcome} />
    </Section>
  );
}
