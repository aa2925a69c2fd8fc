// Calls to Inference.Service. Relative URLs, so the page works behind any host, port or path base.

/** An HTTP failure carrying what the server said (ProblemDetails title/detail when present). */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

async function failure(response, what) {
  let title = `${what} failed (HTTP ${response.status}${response.statusText ? ' ' + response.statusText : ''})`;
  let detail = '';
  const text = await response.text().catch(() => '');
  const type = response.headers.get('content-type') || '';
  if (text && type.includes('json')) {
    try {
      const problem = JSON.parse(text);
      if (problem && typeof problem === 'object') {
        if (typeof problem.title === 'string' && problem.title) title = problem.title;
        if (typeof problem.detail === 'string') detail = problem.detail;
        // Validation problems list their messages per field.
        if (!detail && problem.errors && typeof problem.errors === 'object') {
          detail = Object.values(problem.errors).flat().join(' ');
        }
      }
    } catch {
      detail = text.slice(0, 300);
    }
  } else if (text) {
    detail = text.slice(0, 300);
  }
  return new ApiError(response.status, title, detail);
}

async function send(url, init, what) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, `${what} failed: the service cannot be reached`, String(e && e.message || e));
  }
  if (!response.ok) throw await failure(response, what);
  return response;
}

/** GET /api/v1/models: the trained models, newest or preferred first as the service orders them. */
export async function fetchModels() {
  const response = await send('api/v1/models', { headers: { accept: 'application/json' } }, 'Loading the model list');
  const body = await response.json();
  // The service answers {models: [{jobId, model, createdAt, quality, ...}], skipped}; a bare list of {name, kind} also works.
  const list = Array.isArray(body) ? body : Array.isArray(body?.models) ? body.models : [];
  return list
    .filter(m => m && typeof m === 'object')
    .map(m => ({ ...m, name: m.name ?? m.jobId, kind: m.kind ?? m.model, trainedAt: m.trainedAt ?? m.createdAt }))
    .filter(m => typeof m.name === 'string');
}

/**
 * The URL of a trained job's stored picture (GET /api/v1/models/{jobId}/gallery.png or losses.png). The page shows it
 * with an <img>, so a 404 (no such picture yet) arrives as the image's error event, not as an exception.
 */
export function modelPictureUrl(jobId, picture) {
  if (picture !== 'gallery' && picture !== 'losses') throw new Error(`Unknown model picture '${picture}'`);
  return `api/v1/models/${encodeURIComponent(jobId)}/${picture}.png`;
}

/** GET /api/v1/samples: sample face photos; an empty list is normal. */
export async function fetchSamples() {
  const response = await send('api/v1/samples', { headers: { accept: 'application/json' } }, 'Loading the sample photos');
  const list = await response.json();
  return Array.isArray(list) ? list.filter(s => s && typeof s.url === 'string') : [];
}

/** Downloads a sample photo so it can be posted like an uploaded file. */
export async function fetchSamplePhoto(sample) {
  const response = await send(sample.url, {}, `Loading sample ${sample.name || sample.url}`);
  const blob = await response.blob();
  const name = sample.url.split('/').pop() || 'sample.jpg';
  return new File([blob], name, { type: blob.type || 'image/jpeg' });
}

/**
 * POST /api/v1/faces/predictions: one face photo to a 32³ volume.
 * Returns { model, size, data } with data.length === size³ (index = z·size² + y·size + x).
 */
export async function predictVolume(photo, model) {
  const form = new FormData();
  form.append('image', photo, photo.name || 'face.png');
  const query = new URLSearchParams({ format: 'json' });
  if (model) query.set('model', model);
  const response = await send(`api/v1/faces/predictions?${query}`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  }, 'Prediction');
  const result = await response.json();
  const size = Number(result && result.size);
  const data = result && result.data;
  if (!Number.isInteger(size) || size <= 0 || !Array.isArray(data) || data.length !== size * size * size) {
    throw new ApiError(response.status, 'Prediction returned an unexpected shape',
      `expected size³ values, got size=${result && result.size} and ${Array.isArray(data) ? data.length : 'no'} values`);
  }
  return { model: result.model, size, data: Uint8Array.from(data) };
}

/**
 * The shown volume's marching-cubes surface (format mesh | obj | glb) at a threshold (1..255), as a Blob to save.
 * The photo is sent again: predictions are not stored.
 */
export async function downloadPrediction(photo, model, format, threshold) {
  const form = new FormData();
  form.append('image', photo, photo.name || 'face.png');
  const query = new URLSearchParams({ format, threshold: String(Math.min(255, Math.max(1, threshold))) });
  if (model) query.set('model', model);
  const response = await send(`api/v1/faces/predictions?${query}`, { method: 'POST', body: form }, 'Download');
  return response.blob();
}

/** GET /api/v1/heads/random in a format to save (ply | glb), as a Blob. */
export async function downloadRandomHead(seed, points, precision, format) {
  const query = new URLSearchParams({ seed: String(seed), points: String(points), format, precision });
  const response = await send(`api/v1/heads/random?${query}`, {}, 'Download');
  return response.blob();
}

/** GET /api/v1/heads/random: a HeadsNet head as a binary PLY point cloud. */
export async function fetchRandomHead(seed, points, precision = 'fp32') {
  const query = new URLSearchParams({ seed: String(seed), points: String(points), format: 'ply', precision });
  const response = await send(`api/v1/heads/random?${query}`, {}, 'Random head');
  return response.arrayBuffer();
}
