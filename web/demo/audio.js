// Audio helpers of the demo page: decoding and resampling to the model's rate,
// the checks LiteTransform makes (tf_transforms/export/lite.py), WAV encoding,
// and a log-magnitude spectrogram for drawing. No dependencies.

// Decodes an audio file's bytes (any format the browser reads) into mono
// float samples at `sampleRate`: the browser's decoder resamples to the rate
// of the OfflineAudioContext it runs in (a 16 kHz file keeps its samples
// exactly); channels are averaged.
export async function decodeToMono(arrayBuffer, sampleRate) {
  const context = new OfflineAudioContext(1, 1, sampleRate);
  let buffer;
  try {
    buffer = await context.decodeAudioData(arrayBuffer);
  } catch (error) {
    throw new Error('this file is not audio the browser can read (WAV, FLAC, OGG, MP3, WebM)');
  }
  const mono = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / buffer.numberOfChannels;
  }
  return mono;
}

// Why `samples` cannot be transformed, in plain words, or null: the checks of
// LiteTransform.transform and core/waveforms.py, with the limits the export
// wrote into demo.json (config.min_samples, max_samples, max_magnitude).
export function waveformProblem(samples, config) {
  const rate = config.sample_rate;
  if (samples.length < config.min_samples) {
    return `The recording is too short: ${(samples.length / rate).toFixed(3)} s; ` +
        `at least ${(config.min_samples / rate).toFixed(3)} s is needed.`;
  }
  if (samples.length > config.max_samples) {
    return `The recording is too long: ${(samples.length / rate).toFixed(2)} s; ` +
        `this model takes at most ${config.max_samples / rate} s. Trim it, or use ` +
        'transform.py --segment=silence for long recordings.';
  }
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i];
    if (!Number.isFinite(value)) return 'The recording contains samples that are not numbers.';
    const magnitude = Math.abs(value);
    if (magnitude > peak) peak = magnitude;
  }
  if (peak === 0) return 'The recording is silent (every sample is 0): there is nothing to transform.';
  if (peak > config.max_magnitude) {
    return `The recording has samples up to ${peak.toFixed(2)}, outside [-1, 1]: ` +
        'it is not scaled like audio.';
  }
  return null;
}

// Mono float samples -> a 16-bit PCM WAV file (Blob).
export function encodeWav(samples, sampleRate) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const text = (offset, value) => {
    for (let i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);  // PCM
  view.setUint16(22, 1, true);  // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, Math.round(value * 32767), true);
  }
  return new Blob([buffer], {type: 'audio/wav'});
}

// In-place iterative radix-2 FFT of (re, im), length a power of two.
function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const angle = -2 * Math.PI / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = Math.cos(angle * k), wi = Math.sin(angle * k);
        const a = start + k, b = a + size / 2;
        const tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
      }
    }
  }
}

// Log-magnitude STFT (dB, Hann window) of `samples`: {frames: [Float32Array
// of bins], bins}. Drawn only; the model computes its own front-end.
export function spectrogram(samples, fftSize = 512, hop = 160) {
  const window = new Float32Array(fftSize);
  for (let i = 0; i < fftSize; i++) window[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / fftSize);
  const frames = [];
  const bins = fftSize / 2 + 1;
  for (let start = 0; start + fftSize <= Math.max(samples.length, fftSize); start += hop) {
    const re = new Float32Array(fftSize), im = new Float32Array(fftSize);
    for (let i = 0; i < fftSize; i++) re[i] = (samples[start + i] || 0) * window[i];
    fft(re, im);
    const frame = new Float32Array(bins);
    for (let k = 0; k < bins; k++) frame[k] = 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-10);
    frames.push(frame);
  }
  return {frames, bins};
}

// Draws a spectrogram on a canvas: time left to right, frequency bottom to
// top, the top 80 dB of the clip on a dark-to-bright scale.
export function drawSpectrogram(canvas, samples) {
  const {frames, bins} = spectrogram(samples);
  const context = canvas.getContext('2d');
  const image = context.createImageData(canvas.width, canvas.height);
  let top = -Infinity;
  for (const frame of frames) for (const value of frame) top = Math.max(top, value);
  for (let x = 0; x < canvas.width; x++) {
    const frame = frames[Math.min(frames.length - 1, Math.floor(x * frames.length / canvas.width))];
    for (let y = 0; y < canvas.height; y++) {
      const bin = Math.floor((canvas.height - 1 - y) * bins / canvas.height);
      const level = Math.max(0, Math.min(1, (frame[bin] - top + 80) / 80));
      const offset = (y * canvas.width + x) * 4;
      image.data[offset] = Math.round(255 * Math.min(1, level * 1.6));
      image.data[offset + 1] = Math.round(255 * Math.max(0, level * 1.6 - 0.6));
      image.data[offset + 2] = Math.round(255 * (0.35 + 0.4 * level) * (1 - level * 0.7));
      image.data[offset + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
}
