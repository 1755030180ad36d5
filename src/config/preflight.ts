/**
 * Start-up checks of settings that only the file system or the resolver can judge: the folders MODELS_DIR,
 * TERMINOLOGY_DIR and NER_MODEL name, and the HOST to listen on. Run before anything starts, so a wrong value
 * stops the process with exit code 78 and one line, like every other invalid setting, instead of a server that
 * answers 503 forever.
 */
import { lookup } from 'node:dns/promises';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Config } from './config.js';

/** The model shipped in `models/`, used when NER_MODEL is unset and it is present. */
const SHIPPED_NER_MODEL = 'chartmine-ner';
/** The file every terminology index folder holds. */
const TERMINOLOGY_INDEX_FILE = 'index.tsv.gz';

/**
 * Checks the folders the NLP pipeline loads from.
 * @param config - the configuration.
 * @throws ConfigError naming the variable and the folder it points at.
 */
export function assertPipelinePaths(config: Pick<Config, 'modelsDir' | 'terminology' | 'ner'>): void {
  if (!isDirectory(config.modelsDir)) {
    throw new ConfigError(`MODELS_DIR: ${resolve(config.modelsDir)} is not a directory`);
  }
  if (!existsSync(join(config.terminology.dir, TERMINOLOGY_INDEX_FILE))) {
    throw new ConfigError(`TERMINOLOGY_DIR: no terminology index (${TERMINOLOGY_INDEX_FILE}) in ${resolve(config.terminology.dir)}`);
  }
  const model = config.ner.model;
  if (model === undefined || model === 'none' || config.ner.allowRemoteModels) return;
  const folder = isAbsolute(model) ? model : join(config.modelsDir, model);
  if (!existsSync(join(folder, 'config.json'))) {
    throw new ConfigError(
      `NER_MODEL: model '${model}' not found (no ${join(resolve(folder), 'config.json')}); ` +
        `use a folder in MODELS_DIR (e.g. ${SHIPPED_NER_MODEL}), an absolute folder, none, or ALLOW_REMOTE_MODELS=true`
    );
  }
}

/**
 * Checks that HOST resolves to an address this process could listen on.
 * @param host - the HOST setting.
 * @throws ConfigError when it does not resolve.
 */
export async function assertListenHost(host: string): Promise<void> {
  try {
    await lookup(host);
  } catch (err: unknown) {
    void err; // ENOTFOUND / EAI_AGAIN: the message below says what to do
    throw new ConfigError('HOST: cannot be resolved to an address (use an IP address such as 127.0.0.1 or 0.0.0.0, or a resolvable name)');
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err: unknown) {
    void err; // missing: not a directory
    return false;
  }
}
