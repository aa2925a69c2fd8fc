// Heads viewer: a face photo → the model's 32³ volume as cubes, or a HeadsNet random head as points.
// URL parameters: model=<name>, threshold=<0..255>, seed=<int>, points=<n>, and demo=random | predict-sample
// | predict (drawn test face) to run once by itself (used by screenshots and browser tests).
import './styles.css';
import {
  downloadPrediction, downloadRandomHead, fetchModels, fetchRandomHead, fetchSamplePhoto, fetchSamples, modelPictureUrl, predictVolume,
} from './api.js';
import { decodePhoto, drawGrayscalePreview, drawTestFace, isAcceptedPhoto } from './facePhoto.js';
import { readPlyPointCloud } from './plyPointCloud.js';
import { Viewport } from './viewport.js';

const $ = id => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page lacks #${id}`);
  return element;
};

const ui = {
  model: $('model'),
  quality: $('model-quality'),
  dropZone: $('drop-zone'),
  photoInput: $('photo-input'),
  browse: $('browse'),
  samples: $('samples'),
  sampleList: $('sample-list'),
  photoRow: $('photo-row'),
  photoThumb: $('photo-thumb'),
  photoName: $('photo-name'),
  photoPreview: $('photo-preview'),
  threshold: $('threshold'),
  thresholdValue: $('threshold-value'),
  volumeStats: $('volume-stats'),
  seed: $('seed'),
  points: $('points'),
  precision: $('precision'),
  newSeed: $('new-seed'),
  randomHead: $('random-head'),
  headsModel: $('heads-model'),
  downloads: $('downloads'),
  downloadGlb: $('download-glb'),
  downloadObj: $('download-obj'),
  downloadPly: $('download-ply'),
  downloadNote: $('download-note'),
  status: $('status'),
  viewport: $('viewport'),
  caption: $('stage-caption'),
  busy: $('busy'),
  picturesModel: $('pictures-model'),
  pictures: {
    gallery: { figure: $('gallery-figure'), link: $('gallery-link'), image: $('gallery-image'), note: $('gallery-note'), what: 'gallery' },
    losses: { figure: $('losses-figure'), link: $('losses-link'), image: $('losses-image'), note: $('losses-note'), what: 'loss chart' },
  },
};

const params = new URLSearchParams(location.search);
let viewport = null;
let models = [];
let currentPhoto = null;
// What the stage shows, for the download buttons: { kind: 'volume', model } or { kind: 'points', seed, points, precision }.
let shownThing = null;
let currentPhotoUrl = null;
let busyCount = 0;

function setState(state) {
  document.body.dataset.state = state;
}

function showStatus(message, kind = 'info') {
  ui.status.textContent = '';
  ui.status.className = `status ${kind}`;
  if (!message) return;
  if (typeof message === 'string') {
    ui.status.textContent = message;
    return;
  }
  const title = document.createElement('strong');
  title.textContent = message.title;
  ui.status.appendChild(title);
  if (message.detail) {
    const detail = document.createElement('div');
    detail.className = 'detail';
    detail.textContent = message.detail;
    ui.status.appendChild(detail);
  }
}

function showError(error) {
  console.error(error);
  const title = error && error.title ? error.title : error && error.message ? error.message : String(error);
  const detail = error && error.title ? error.detail : '';
  showStatus({ title, detail }, 'error');
  setState('error');
}

/** Runs one piece of work with the busy overlay and the controls that start work disabled. */
async function work(label, task) {
  busyCount++;
  ui.busy.hidden = false;
  ui.busy.textContent = label;
  ui.randomHead.disabled = true;
  setState('busy');
  try {
    await task();
  } catch (error) {
    showError(error);
  } finally {
    busyCount--;
    if (busyCount === 0) {
      ui.busy.hidden = true;
      ui.randomHead.disabled = false;
    }
  }
}

function formatNumber(value, digits) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : null;
}

function formatDate(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString() : null;
}

function isHeadsNet(model) {
  return typeof model.kind === 'string' && model.kind.toLowerCase() === 'headsnet';
}

/** Held-out quality beside the mean-head baseline, when the model was evaluated. */
function describeQuality(model) {
  ui.quality.textContent = '';
  if (!model) return;
  const q = model.quality && typeof model.quality === 'object' ? model.quality : null;
  const lines = [];
  if (q) {
    // The trainer stores a QualityReport ({model, meanHead, ridge: {occupancyIoU, grayscaleMae}}); flat fields also work.
    const iou = formatNumber(q.heldOutIoU ?? q.model?.occupancyIoU, 2);
    const meanIou = formatNumber(q.meanHeadIoU ?? q.meanHead?.occupancyIoU, 2);
    const mae = formatNumber(q.heldOutMae ?? q.model?.grayscaleMae, 1);
    const meanMae = formatNumber(q.meanHeadMae ?? q.meanHead?.grayscaleMae, 1);
    const ridgeIou = formatNumber(q.ridge?.occupancyIoU, 2);
    if (iou) lines.push(['Held-out IoU', iou, meanIou ? `mean head ${meanIou}` : null, meanIou ? Number(iou) > Number(meanIou) : null]);
    if (mae) lines.push(['Held-out MAE', mae, meanMae ? `mean head ${meanMae}` : null, meanMae ? Number(mae) < Number(meanMae) : null]);
    if (ridgeIou) lines.push(['Ridge IoU', ridgeIou, 'linear baseline', iou ? Number(iou) > Number(ridgeIou) : null]);
    // IoU at the threshold chosen for each predictor on validation heads, and the paired bootstrap intervals.
    const thrIou = formatNumber(q.model?.thresholdIoU, 2);
    const ridgeThr = formatNumber(q.ridge?.thresholdIoU, 2);
    if (thrIou) lines.push([`IoU at >${q.model.threshold}`, thrIou, ridgeThr ? `ridge ${ridgeThr} at >${q.ridge.threshold}` : null, ridgeThr ? Number(thrIou) > Number(ridgeThr) : null]);
    const vs = q.versusRidge;
    const interval = d => d && Number.isFinite(d.mean) ? `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}]` : null;
    if (vs && interval(vs.occupancyIoU)) lines.push(['ΔIoU vs ridge', interval(vs.occupancyIoU), '95% interval', vs.occupancyIoU.low > 0]);
    if (vs && interval(vs.grayscaleMae)) lines.push(['ΔMAE vs ridge', interval(vs.grayscaleMae), '95% interval', vs.grayscaleMae.high < 0]);
  }
  if (typeof model.promoted === 'boolean') {
    lines.push([model.isPinned ? 'Default (pinned)' : 'Promotion', model.promoted ? 'promoted' : 'not promoted', model.promotionReason ?? null, model.promoted]);
  }
  const table = document.createElement('dl');
  for (const [name, value, baseline, better] of lines) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    const strong = document.createElement('span');
    strong.className = better === null ? 'value' : better ? 'value better' : 'value worse';
    strong.textContent = value;
    dd.appendChild(strong);
    if (baseline) dd.append(` (${baseline})`);
    table.append(dt, dd);
  }
  if (lines.length === 0) {
    const none = document.createElement('p');
    none.className = 'hint';
    none.textContent = 'No held-out evaluation for this model.';
    ui.quality.appendChild(none);
  } else {
    ui.quality.appendChild(table);
  }
  const facts = [model.kind, formatDate(model.trainedAt) && `trained ${formatDate(model.trainedAt)}`].filter(Boolean);
  if (facts.length) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = facts.join(' · ');
    ui.quality.appendChild(p);
  }
}

/** The service's default (promoted or pinned); else the newest by trainedAt; models without a date keep the service's order. */
function defaultModel(list) {
  const chosen = list.find(m => m.isDefault === true);
  if (chosen) return chosen;
  let best = list[0];
  let bestTime = best && Date.parse(best.trainedAt);
  for (const m of list) {
    const t = Date.parse(m.trainedAt);
    if (!Number.isNaN(t) && (Number.isNaN(bestTime) || t > bestTime)) {
      best = m;
      bestTime = t;
    }
  }
  return best;
}

/** The job id pictures are stored under (the service lists it as jobId; older lists only had a name). */
function pictureKey(model) {
  return model ? model.jobId ?? model.name : null;
}

/**
 * Shows the stored gallery and loss chart of a model; a picture the service answers 404 for (not written yet, or
 * a model trained before pictures existed) is hidden and a short note says so. Each panel reports its state in
 * data-state (loading, shown, missing, none) for tests.
 */
function showPictures(model) {
  const key = pictureKey(model);
  for (const [picture, part] of Object.entries(ui.pictures)) {
    part.figure.hidden = true;
    part.note.hidden = false;
    if (!key) {
      part.note.textContent = picture === 'gallery' ? 'No model to show pictures of.' : '';
      part.figure.dataset.state = 'none';
      part.image.removeAttribute('src');
      continue;
    }
    const url = modelPictureUrl(key, picture);
    part.figure.dataset.state = 'loading';
    part.note.textContent = `Loading the ${part.what}…`;
    // A late answer for a model no longer chosen must not overwrite the current one.
    part.image.onload = () => {
      if (part.image.getAttribute('src') !== url) return;
      part.figure.hidden = false;
      part.note.hidden = true;
      part.figure.dataset.state = 'shown';
    };
    part.image.onerror = () => {
      if (part.image.getAttribute('src') !== url) return;
      part.note.textContent = `No ${part.what} stored for ${model.kind ? model.kind + ' ' : ''}${key}.`;
      part.figure.dataset.state = 'missing';
    };
    part.link.href = url;
    part.image.src = url;
  }
}

function fillPicturesModels(chosenFace) {
  ui.picturesModel.innerHTML = '';
  if (models.length === 0) {
    ui.picturesModel.appendChild(new Option('(no model trained yet)', ''));
    showPictures(null);
    return;
  }
  for (const m of models) ui.picturesModel.appendChild(new Option(m.kind ? `${m.name} — ${m.kind}` : m.name, m.name));
  const first = models.find(m => m.name === chosenFace) ?? models[0];
  ui.picturesModel.value = first.name;
  showPictures(first);
}

async function loadModels() {
  try {
    models = await fetchModels();
  } catch (error) {
    ui.model.innerHTML = '';
    ui.model.appendChild(new Option('(model list unavailable)', ''));
    ui.picturesModel.innerHTML = '';
    ui.picturesModel.appendChild(new Option('(model list unavailable)', ''));
    showPictures(null);
    throw error;
  }
  const faceModels = models.filter(m => !isHeadsNet(m));
  ui.model.innerHTML = '';
  if (faceModels.length === 0) {
    ui.model.appendChild(new Option('(no face model trained yet)', ''));
    describeQuality(null);
  } else {
    for (const m of faceModels) ui.model.appendChild(new Option(m.kind ? `${m.name} — ${m.kind}` : m.name, m.name));
    const wanted = params.get('model');
    const chosen = wanted !== null ? { name: wanted } : defaultModel(faceModels);
    if (wanted !== null && !faceModels.some(m => m.name === wanted)) ui.model.appendChild(new Option(wanted, wanted));
    ui.model.value = chosen.name;
    describeQuality(faceModels.find(m => m.name === chosen.name));
  }
  fillPicturesModels(ui.model.value);
  const heads = models.filter(isHeadsNet);
  ui.headsModel.textContent = heads.length
    ? `Model ${heads[0].name}${formatDate(heads[0].trainedAt) ? `, trained ${formatDate(heads[0].trainedAt)}` : ''}`
    : '';
}

async function loadSamples() {
  const samples = await fetchSamples();
  ui.sampleList.innerHTML = '';
  ui.samples.hidden = samples.length === 0;
  for (const sample of samples) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.title = sample.name || sample.url;
    const img = document.createElement('img');
    img.src = sample.url;
    img.alt = sample.name || 'sample face';
    img.loading = 'lazy';
    button.appendChild(img);
    button.addEventListener('click', () => work('Loading sample…', async () => {
      await predictFrom(await fetchSamplePhoto(sample));
    }));
    ui.sampleList.appendChild(button);
  }
  return samples;
}

async function showPhoto(file) {
  const { img, url } = await decodePhoto(file);
  if (currentPhotoUrl) URL.revokeObjectURL(currentPhotoUrl);
  currentPhotoUrl = url;
  ui.photoThumb.src = url;
  ui.photoName.textContent = `${file.name || 'photo'} · ${img.naturalWidth}×${img.naturalHeight}`;
  drawGrayscalePreview(img, ui.photoPreview);
  ui.photoRow.hidden = false;
}

function threshold() {
  return Number(ui.threshold.value);
}

function describeVolume(shown, volume) {
  const total = volume.size ** 3;
  ui.volumeStats.textContent = `${shown.toLocaleString()} of ${total.toLocaleString()} voxels at or above ${threshold()}`;
}

async function predictFrom(file) {
  if (!isAcceptedPhoto(file)) {
    throw new Error(`${file.name || 'That file'} is not a JPEG, PNG, BMP, GIF or WebP photo`);
  }
  currentPhoto = file;
  await showPhoto(file);
  await predictCurrent();
}

async function predictCurrent() {
  if (!currentPhoto) return;
  const model = ui.model.value;
  showStatus(`Predicting with ${model || 'the default model'}…`);
  const volume = await predictVolume(currentPhoto, model);
  const shown = viewport.showVolume(volume, threshold());
  describeVolume(shown, volume);
  const occupied = volume.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  ui.caption.textContent = `${volume.model || model} · ${volume.size}³ volume · ${occupied.toLocaleString()} occupied voxels`;
  showStatus(`Predicted by ${volume.model || model}. Drag to rotate, scroll to zoom, right-drag to pan.`);
  await viewport.whenDrawn();
  setState('ready');
  document.body.dataset.shown = 'volume';
  showDownloads({ kind: 'volume', model: volume.model || model });
}

async function loadRandomHead() {
  const seed = Math.trunc(Number(ui.seed.value));
  const points = Math.trunc(Number(ui.points.value));
  if (!Number.isFinite(seed) || seed < 0) throw new Error('The seed must be a whole number ≥ 0');
  if (!Number.isFinite(points) || points < 1) throw new Error('The point count must be a whole number ≥ 1');
  const precision = ui.precision.value === 'bf16' ? 'bf16' : 'fp32';
  showStatus(`Sampling HeadsNet head ${seed} with ${points.toLocaleString()} points…`);
  const ply = await fetchRandomHead(seed, points, precision);
  const cloud = readPlyPointCloud(ply);
  viewport.showPoints(cloud);
  ui.volumeStats.textContent = '';
  ui.caption.textContent = `HeadsNet · seed ${seed} · ${cloud.count.toLocaleString()} points${precision === 'bf16' ? ' · bf16' : ''}`;
  showStatus('Random head loaded. Drag to rotate, scroll to zoom, right-drag to pan.');
  await viewport.whenDrawn();
  setState('ready');
  document.body.dataset.shown = 'points';
  showDownloads({ kind: 'points', seed, points, precision });
}

function showDownloads(thing) {
  shownThing = thing;
  ui.downloads.hidden = false;
  ui.downloadObj.hidden = thing.kind === 'points';
  ui.downloadNote.textContent = thing.kind === 'volume'
    ? `The surface at threshold ${Math.max(1, threshold())}, as ${thing.model} predicts it.`
    : `HeadsNet seed ${thing.seed}, ${thing.points.toLocaleString()} coloured points.`;
}

/** Saves the shown volume's surface or the shown head in <format> (glb | obj | ply). */
async function download(format) {
  if (!shownThing) return;
  let blob;
  let name;
  if (shownThing.kind === 'volume') {
    blob = await downloadPrediction(currentPhoto, ui.model.value, format === 'ply' ? 'mesh' : format, threshold());
    name = `head-${shownThing.model}.${format}`;
  } else {
    blob = await downloadRandomHead(shownThing.seed, shownThing.points, shownThing.precision, format);
    name = `headsnet-seed-${shownThing.seed}.${format}`;
  }
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  document.body.dataset.downloaded = `${name} ${blob.size}`;
  showStatus(`Saved ${name} (${blob.size.toLocaleString()} bytes).`);
  setState('ready');
}

function wireControls() {
  ui.browse.addEventListener('click', () => ui.photoInput.click());
  ui.dropZone.addEventListener('keydown', e => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); ui.photoInput.click(); }
  });
  ui.photoInput.addEventListener('change', () => {
    const file = ui.photoInput.files && ui.photoInput.files[0];
    ui.photoInput.value = '';
    if (file) work('Predicting…', () => predictFrom(file));
  });
  // The whole window accepts a drop, so a near miss does not open the photo in the tab.
  let dragDepth = 0;
  window.addEventListener('dragenter', e => { e.preventDefault(); dragDepth++; ui.dropZone.classList.add('dragging'); });
  window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; ui.dropZone.classList.remove('dragging'); } });
  window.addEventListener('dragover', e => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; });
  window.addEventListener('drop', e => {
    e.preventDefault();
    dragDepth = 0;
    ui.dropZone.classList.remove('dragging');
    const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
    if (files.length === 0) return;
    const file = files.find(isAcceptedPhoto) || files[0];
    work('Predicting…', () => predictFrom(file));
  });

  ui.model.addEventListener('change', () => {
    describeQuality(models.find(m => m.name === ui.model.value));
    // The pictures follow the face model chosen; their own selector can still show any other model.
    if (models.some(m => m.name === ui.model.value)) {
      ui.picturesModel.value = ui.model.value;
      showPictures(models.find(m => m.name === ui.model.value));
    }
    if (currentPhoto) work('Predicting…', predictCurrent);
  });
  ui.picturesModel.addEventListener('change', () => showPictures(models.find(m => m.name === ui.picturesModel.value)));
  ui.threshold.addEventListener('input', () => {
    ui.thresholdValue.textContent = ui.threshold.value;
    if (viewport && viewport.volume) describeVolume(viewport.setThreshold(threshold()), viewport.volume);
  });
  ui.randomHead.addEventListener('click', () => work('Sampling head…', loadRandomHead));
  for (const [button, format] of [[ui.downloadGlb, 'glb'], [ui.downloadObj, 'obj'], [ui.downloadPly, 'ply']])
    button.addEventListener('click', () => work('Preparing the file…', () => download(format)));
  ui.newSeed.addEventListener('click', () => {
    ui.seed.value = String(Math.floor(Math.random() * 1_000_000));
    work('Sampling head…', loadRandomHead);
  });
  ui.precision.addEventListener('change', () => { if (document.body.dataset.shown === 'points') work('Sampling head…', loadRandomHead); });
  for (const input of [ui.seed, ui.points]) {
    input.addEventListener('keydown', e => { if (e.key === 'Enter') work('Sampling head…', loadRandomHead); });
  }
}

function applyUrlParameters() {
  const t = params.get('threshold');
  if (t !== null && /^\d+$/.test(t)) ui.threshold.value = String(Math.min(255, Number(t)));
  ui.thresholdValue.textContent = ui.threshold.value;
  if (params.get('seed') !== null) ui.seed.value = params.get('seed');
  if (params.get('points') !== null) ui.points.value = params.get('points');
  if (params.get('precision') === 'bf16') ui.precision.value = 'bf16';
}

async function runDemo(demo, samples) {
  switch (demo) {
    case 'random':
      await work('Sampling head…', loadRandomHead);
      break;
    case 'predict-sample':
      await work('Predicting…', async () => {
        const file = samples.length ? await fetchSamplePhoto(samples[0]) : await drawTestFace();
        await predictFrom(file);
      });
      break;
    case 'predict':
      await work('Predicting…', async () => predictFrom(await drawTestFace()));
      break;
    default:
      showError({ title: 'Unknown demo', detail: `demo=${demo}; use random, predict-sample or predict` });
  }
}

async function start() {
  setState('loading');
  applyUrlParameters();
  wireControls();
  try {
    viewport = new Viewport(ui.viewport);
  } catch (error) {
    showError({ title: 'WebGL is not available', detail: `This browser could not start 3D rendering (${error.message || error}).` });
    return;
  }
  let samples = [];
  const [modelsResult, samplesResult] = await Promise.allSettled([loadModels(), loadSamples()]);
  if (samplesResult.status === 'fulfilled') samples = samplesResult.value;
  const failed = [modelsResult, samplesResult].find(r => r.status === 'rejected');
  if (failed) showError(failed.reason);
  else {
    showStatus('Drop a face photo, pick a sample, or sample a random head.');
    setState('idle');
  }
  const demo = params.get('demo');
  if (demo) await runDemo(demo, samples);
}

start();
