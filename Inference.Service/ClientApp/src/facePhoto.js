// The photo side of the page: decoding a chosen photo for display, its 32×32 grayscale preview,
// and a drawn test face for the self-running demo when the service has no sample photos.

export const acceptedTypes = ['image/jpeg', 'image/png', 'image/bmp', 'image/gif', 'image/webp'];

/** True when the file looks like a photo the service accepts (by MIME type, else by extension). */
export function isAcceptedPhoto(file) {
  if (!file) return false;
  if (file.type) return acceptedTypes.includes(file.type);
  return /\.(jpe?g|png|bmp|gif|webp)$/i.test(file.name || '');
}

/** Decodes a photo into an <img>; rejects with a readable message when the browser cannot. */
export function decodePhoto(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => resolve({ img, url });
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error(`${file.name || 'The file'} is not an image this browser can read`));
    };
    img.src = url;
  });
}

/**
 * Draws the 32×32 grayscale the model sees (the whole photo scaled to a square, BT.601 luma).
 * The service resamples with its own filter, so this preview is close but not bit-exact.
 */
export function drawGrayscalePreview(img, canvas, size = 32) {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, 0, 0, size, size);
  const pixels = ctx.getImageData(0, 0, size, size);
  const d = pixels.data;
  for (let i = 0; i < d.length; i += 4) {
    const y = Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]);
    d[i] = d[i + 1] = d[i + 2] = y;
    d[i + 3] = 255;
  }
  ctx.putImageData(pixels, 0, 0);
}

/** A plain drawn face (PNG) so the demo can exercise the real upload path without any photo at hand. */
export async function drawTestFace(size = 256) {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  const s = size / 256;
  ctx.fillStyle = '#6b7380';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#d9a88a';
  ctx.beginPath(); ctx.ellipse(128 * s, 132 * s, 78 * s, 100 * s, 0, 0, Math.PI * 2); ctx.fill();
  ctx.fillStyle = '#3b2a20';
  ctx.beginPath(); ctx.ellipse(128 * s, 52 * s, 82 * s, 34 * s, 0, Math.PI, Math.PI * 2); ctx.fill();
  ctx.fillStyle = '#2a2a2a';
  for (const x of [98, 158]) { ctx.beginPath(); ctx.ellipse(x * s, 118 * s, 12 * s, 7 * s, 0, 0, Math.PI * 2); ctx.fill(); }
  ctx.strokeStyle = '#a86f58';
  ctx.lineWidth = 5 * s;
  ctx.beginPath(); ctx.moveTo(128 * s, 125 * s); ctx.lineTo(120 * s, 165 * s); ctx.lineTo(134 * s, 167 * s); ctx.stroke();
  ctx.strokeStyle = '#8a3f3f';
  ctx.beginPath(); ctx.arc(128 * s, 178 * s, 26 * s, 0.15 * Math.PI, 0.85 * Math.PI); ctx.stroke();
  const blob = await new Promise(resolve => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('The browser could not encode the test face');
  return new File([blob], 'test-face.png', { type: 'image/png' });
}
