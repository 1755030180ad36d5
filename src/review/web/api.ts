/** The page's calls to `/review/api`, with the reviewer's token from sessionStorage as bearer. */

/** A finding as the API lists it (see src/review/finding-view.ts). */
export interface Finding {
  ref: string;
  resourceType: string;
  id: string;
  versionId?: string;
  label: string;
  codings: { system?: string; code?: string; display?: string }[];
  assertion?: string;
  status: string;
  confidence?: number;
  pipelineVersion?: string;
  spans: { start: number; end: number; document?: string }[];
  review?: 'accept' | 'reject' | 'correct';
  retracted: boolean;
}

/** A note in the list. */
export interface NoteSummary {
  id: string;
  versionId?: string;
  subject?: string;
  date?: string;
  status?: string;
  type?: string;
}

/** A note with its text and findings. */
export interface NoteDetail {
  note: NoteSummary;
  text: string;
  document: string;
  findings: Finding[];
}

/** A finding's Provenance steps and the pipeline Devices they name. */
export interface ProvenanceChain {
  steps: {
    ref: string;
    recorded?: string;
    activity: string[];
    decision?: string;
    agents: { type?: string; who: string }[];
    entities: { role: string; what: string }[];
    targets: string[];
  }[];
  devices: { ref: string; name?: string; versions: string[] }[];
}

const TOKEN_KEY = 'chartmine-review-token';

/** An answer other than 2xx: the status and the OperationOutcome's text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/** The reviewer's token, kept for this tab only. */
export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value: string | null) {
    if (value === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  },
};

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = session.token): Promise<T> {
  const response = await fetch(`api/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token ?? ''}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  const json = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const text = (json as { issue?: { details?: { text?: string } }[] } | undefined)?.issue?.[0]?.details?.text;
    throw new ApiError(response.status, text ?? `request failed (${response.status})`);
  }
  return json as T;
}

/** The API calls the page makes. */
export const api = {
  whoami: (token: string) => call<{ reviewer: string }>('GET', 'whoami', undefined, token),
  notes: (query: Record<string, string>) => call<{ notes: NoteSummary[] }>('GET', `notes?${new URLSearchParams(query).toString()}`),
  note: (id: string) => call<NoteDetail>('GET', `notes/${encodeURIComponent(id)}`),
  provenance: (f: Finding) => call<ProvenanceChain>('GET', `findings/${f.resourceType}/${encodeURIComponent(f.id)}/provenance`),
  codes: (q: string) =>
    call<{ codes: { system: string; code: string; display?: string; concept: string; group: string }[] }>('GET', `codes?${new URLSearchParams({ q }).toString()}`),
  decide: (f: Finding, body: Record<string, unknown>) =>
    call<{ finding: Finding; provenance: string }>('POST', `findings/${f.resourceType}/${encodeURIComponent(f.id)}/decision`, { versionId: f.versionId, ...body }),
};
