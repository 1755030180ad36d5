/**
 * Where a transformers.js model comes from, shared by the NER and sentiment loaders: a folder under `MODELS_DIR`
 * (or an absolute folder), offline unless remote models are allowed. Sets transformers.js' `env` accordingly.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { env } from '@huggingface/transformers';
import { ModelError } from '../errors.js';

/** A resolved model location. */
export interface ModelLocation {
  /** The id as configured. */
  readonly modelId: string;
  /** The folder looked in. */
  readonly localDir: string;
  readonly isLocal: boolean;
  readonly allowRemote: boolean;
  /** What to pass to `from_pretrained`. */
  readonly id: string;
}

/**
 * Resolves a model id to a local folder (or, when allowed, a hub id) and configures transformers.js for it.
 * @param options - the models folder, the id, whether remote downloads are allowed, and how to name the model and its
 *   setting in the error.
 * @returns the location.
 * @throws ModelError when the model is not local and remote models are not allowed.
 */
export function locateModel(options: {
  readonly modelsDir: string;
  readonly modelId: string;
  readonly allowRemoteModels?: boolean;
  readonly kind: string;
  readonly setting: string;
}): ModelLocation {
  const { modelId, kind, setting } = options;
  const modelsDir = path.resolve(options.modelsDir);
  const localDir = path.isAbsolute(modelId) ? modelId : path.join(modelsDir, modelId);
  const isLocal = existsSync(path.join(localDir, 'config.json'));
  const allowRemote = options.allowRemoteModels ?? false;
  if (!isLocal && !allowRemote) {
    throw new ModelError(
      `${kind} model '${modelId}' not found in ${modelsDir} (expected ${modelId}/config.json); set ${setting} to a ` +
        'local folder, or ALLOW_REMOTE_MODELS=true to download it'
    );
  }
  env.allowRemoteModels = allowRemote;
  env.allowLocalModels = true;
  env.localModelPath = `${modelsDir}${path.sep}`;
  return { modelId, localDir, isLocal, allowRemote, id: isLocal ? localDir : modelId };
}

/**
 * The sha256 of a file, streamed.
 * @param file - the path.
 * @returns the hex digest.
 */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
