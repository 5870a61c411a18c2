import { reason } from '../core/reasons.js';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile, Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { DomainError, Invalid, TooLarge } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { brokenText, brokenTextError } from './input-guard.js';

/** How large an upload may be, and how much disk must stay free after it. */
export interface UploadLimits {
  maxBytes: number;
  minFreeBytes: number;
}

const MB = 1024 * 1024;

function envMb(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw.trim() === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of megabytes, got "${raw}"`);
  return Math.round(n * MB);
}

/** HUIKE_UPLOAD_LIMIT_MB (default 2048) and HUIKE_UPLOAD_MIN_FREE_MB (default 256). */
export function uploadLimitsFromEnv(): UploadLimits {
  return { maxBytes: envMb('HUIKE_UPLOAD_LIMIT_MB', 2048), minFreeBytes: envMb('HUIKE_UPLOAD_MIN_FREE_MB', 256) };
}

const mb = (bytes: number) => `${Math.floor(bytes / MB)} MB`;

/** A client that hangs up mid-upload, or sends a body that is not complete multipart, is told so (400). */
export function uploadError(e: unknown): unknown {
  if (e instanceof DomainError) return e;
  const err = e as { code?: string; statusCode?: number; message?: string };
  if (typeof err?.statusCode === 'number' && err.statusCode < 500) return e;
  if (err?.code === 'ENOSPC')
    return new TooLarge('the server disk is full: the upload was not kept', reason('upload.diskFull'));
  return new Invalid(
    `the upload was cut off or is not valid multipart/form-data (${err?.message ?? String(e)}): send the file again`,
    reason('upload.broken'),
  );
}

/**
 * The parts of a multipart request, with malformed or cut-off bodies turned into 400 errors, and a field's text held
 * to what a JSON body's may hold (input-guard.ts) — and no U+FFFD, which the form parser puts for bytes that are not
 * UTF-8 (an audience list's name was stored so).
 */
export async function* uploadParts(req: FastifyRequest): AsyncGenerator<Multipart> {
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field' && typeof part.value === 'string') {
        const field = `body.${part.fieldname}`;
        if (part.value.includes('\ufffd'))
          throw new Invalid(`${field}: the text is not valid UTF-8`, reason('input.badUtf8'), { path: field });
        const broken = brokenText(part.value);
        if (broken) throw brokenTextError(field, broken);
      }
      yield part;
    }
  } catch (e) {
    throw uploadError(e);
  }
}

/**
 * Writes an uploaded file into dir. Refuses before writing when the disk would keep less than
 * minFreeBytes (judged by the request's declared length, or the upload limit when it has none),
 * and never leaves a partial file behind: an upload cut off, too large or failing is removed.
 */
export async function saveUpload(
  req: FastifyRequest,
  part: MultipartFile,
  dir: string,
  limits: UploadLimits,
  prefix = '',
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const declared = Number(req.headers['content-length']);
  const need = Number.isFinite(declared) && declared > 0 ? Math.min(declared, limits.maxBytes) : limits.maxBytes;
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free - need < limits.minFreeBytes) {
    part.file.resume(); // drain, so the client gets the answer instead of a reset
    throw new TooLarge(
      `not enough free disk space for this upload: ${mb(free)} free, the upload may need ${mb(need)} and ` +
        `${mb(limits.minFreeBytes)} must stay free (HUIKE_UPLOAD_MIN_FREE_MB). Free some space and try again`,
      reason('upload.noSpace', { free: mb(free), need: mb(need) }),
      { freeBytes: free, neededBytes: need, minFreeBytes: limits.minFreeBytes },
    );
  }
  const safeName = part.filename.replace(/[^\w.\-\u4e00-\u9fff]/g, '_').slice(-80);
  const path = join(dir, `${prefix}${newId()}-${safeName}`);
  const tooLarge = () =>
    new TooLarge(
      `the file is larger than the upload limit of ${mb(limits.maxBytes)} (HUIKE_UPLOAD_LIMIT_MB): ` +
        'split it or raise the limit',
      reason('upload.tooLarge', { limit: mb(limits.maxBytes) }),
      { limitBytes: limits.maxBytes },
    );
  try {
    await pipeline(part.file, createWriteStream(path));
    if (part.file.truncated) throw tooLarge();
  } catch (e) {
    await rm(path, { force: true });
    if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' || part.file.truncated) throw tooLarge();
    throw uploadError(e);
  }
  // An empty file is refused now, not accepted and failed later by the job that reads it.
  if ((await stat(path)).size === 0) {
    await rm(path, { force: true });
    throw new Invalid('the file is empty (0 bytes): export it again and upload that', reason('upload.empty'));
  }
  return path;
}
