// The demo page: an exported tf_transforms TFLite file run by LiteRT.js in
// the browser. demo.json (written by export.py --web_demo) names the model
// file, its styles and the input limits; the LiteRT.js runtime sits in
// ./litert/ (copied from the pinned npm package, never fetched from a CDN).
//
// For tests and benchmarks the page exposes window.tfTransformsDemo:
//   ready            a Promise that resolves once the model is compiled (or rejects)
//   convert(samples, source, target)  Float32Array at 16 kHz -> {waveform, seconds}
//   config, runtime  demo.json and {threads, numThreads}
// ?threads=0 in the URL keeps the single-threaded runtime even where the page
// is cross-origin isolated (the threaded one needs COOP / COEP headers).

import {loadAndCompile, loadLiteRt, supportsFeature, Tensor} from '@litertjs/core';

import {decodeToMono, drawSpectrogram, encodeWav, waveformProblem} from './audio.js';

const $ = (id) => document.getElementById(id);
const state = {input: null, inputName: null, outputUrl: null, inputUrl: null, recorder: null};

function setStatus(stateName, text) {
  const status = $('status');
  status.dataset.state = stateName;
  status.textContent = text;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
  if (message) setStatus('error', 'Error');
}

async function loadConfig() {
  const response = await fetch('demo.json');
  if (!response.ok) throw new Error(`demo.json could not be loaded (HTTP ${response.status})`);
  return response.json();
}

async function startRuntime(config) {
  const wanted = new URLSearchParams(location.search).get('threads') !== '0';
  const threads = wanted && self.crossOriginIsolated && await supportsFeature('threads');
  await loadLiteRt('./litert/wasm/', {threads});
  const numThreads = threads ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const model = await loadAndCompile(config.model, {accelerator: 'wasm',
                                                    cpuOptions: {numThreads}});
  return {model, runtime: {threads, numThreads}};
}

// Runs serving_default (front-end, model, mel inverse, Griffin-Lim and
// de-emphasis are all in the file) and trims the output to its valid length,
// as LiteTransform.transform does. Ids: source -1 is an unknown source.
async function convert(model, config, samples, source, target) {
  const problem = waveformProblem(samples, config);
  if (problem) throw new Error(problem);
  // The file's input shapes are static (LiteRT.js cannot resize inputs): the
  // clip goes at the start of a max_samples buffer, `samples` says its length.
  const padded = new Float32Array(config.max_samples);
  padded.set(samples);
  const inputs = {
    waveform: new Tensor(padded, [1, config.max_samples]),
    samples: new Tensor(Int32Array.from([samples.length]), [1]),
    source_style: new Tensor(Int32Array.from([source]), [1]),
    target_style: new Tensor(Int32Array.from([target]), [1]),
  };
  const started = performance.now();
  let outputs;
  try {
    outputs = await model.run(config.signature, inputs);
  } finally {
    for (const tensor of Object.values(inputs)) tensor.delete();
  }
  const seconds = (performance.now() - started) / 1000;
  try {
    const length = outputs.lengths.toTypedArray()[0];
    const waveform = Float32Array.from(outputs.waveform.toTypedArray().subarray(0, length));
    return {waveform, seconds};
  } finally {
    for (const tensor of Object.values(outputs)) tensor.delete();
  }
}

function fillStyles(config) {
  const source = $('source'), target = $('target');
  if (config.unknown_source) source.add(new Option('unknown (a voice or instrument not listed)', '-1'));
  config.styles.forEach((name, id) => {
    source.add(new Option(name, String(id)));
    target.add(new Option(name, String(id)));
  });
  if (config.styles.length > 1) target.selectedIndex = 1;
}

// A new input: the previous result no longer belongs to it.
function clearOutput() {
  if (state.outputUrl) URL.revokeObjectURL(state.outputUrl);
  state.outputUrl = null;
  $('output-audio').removeAttribute('src');
  $('download').hidden = true;
  $('timing').textContent = '';
  const canvas = $('output-spectrogram');
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

function setInput(samples, name, config) {
  state.input = samples;
  state.inputName = name;
  if (state.inputUrl) URL.revokeObjectURL(state.inputUrl);
  state.inputUrl = URL.createObjectURL(encodeWav(samples, config.sample_rate));
  $('input-audio').src = state.inputUrl;
  $('input-info').textContent = `${name}: ${(samples.length / config.sample_rate).toFixed(2)} s at ` +
      `${config.sample_rate / 1000} kHz`;
  drawSpectrogram($('input-spectrogram'), samples);
  clearOutput();
  const problem = waveformProblem(samples, config);
  showError(problem ? `${name}: ${problem}` : '');
  $('convert').disabled = Boolean(problem);
  if (!problem) setStatus('ready', 'Ready: choose the styles and convert');
}

async function readFile(file, config) {
  showError('');
  setStatus('working', `Reading ${file.name}…`);
  try {
    setInput(await decodeToMono(await file.arrayBuffer(), config.sample_rate), file.name, config);
  } catch (error) {
    state.input = null;
    $('convert').disabled = true;
    showError(`${file.name}: ${error.message}`);
  }
}

async function toggleRecording(config) {
  const button = $('record');
  if (state.recorder) {
    state.recorder.stop();
    return;
  }
  showError('');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({audio: true});
  } catch (error) {
    showError(`The microphone is not available: ${error.message}`);
    return;
  }
  const chunks = [];
  const recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.onstop = async () => {
    stream.getTracks().forEach((track) => track.stop());
    state.recorder = null;
    button.textContent = 'Record';
    const blob = new Blob(chunks, {type: recorder.mimeType});
    try {
      setInput(await decodeToMono(await blob.arrayBuffer(), config.sample_rate), 'recording', config);
    } catch (error) {
      showError(`The recording could not be decoded: ${error.message}`);
    }
  };
  state.recorder = recorder;
  recorder.start();
  button.textContent = 'Stop';
  setStatus('recording', 'Recording… press Stop when done');
}

async function onConvert(model, config, runtime) {
  if (!state.input) return;
  const source = Number($('source').value), target = Number($('target').value);
  showError('');
  setStatus('working', 'Converting…');
  $('convert').disabled = true;
  try {
    const {waveform, seconds} = await convert(model, config, state.input, source, target);
    const duration = state.input.length / config.sample_rate;
    if (state.outputUrl) URL.revokeObjectURL(state.outputUrl);
    state.outputUrl = URL.createObjectURL(encodeWav(waveform, config.sample_rate));
    $('output-audio').src = state.outputUrl;
    const download = $('download');
    download.href = state.outputUrl;
    download.download = `${state.inputName.replace(/\.[^.]*$/, '')}_to_${config.styles[target]}.wav`;
    download.hidden = false;
    drawSpectrogram($('output-spectrogram'), waveform);
    $('timing').textContent = `Converted ${duration.toFixed(2)} s of audio in ${seconds.toFixed(2)} s: ` +
        `real-time factor ${(seconds / duration).toFixed(3)} (LiteRT.js ${config.litert_version}, ` +
        `WebAssembly, ${runtime.numThreads} thread${runtime.numThreads > 1 ? 's' : ''})`;
    window.tfTransformsDemo.lastResult = {waveform, seconds, source, target};
    setStatus('done', `Done: ${config.styles[target]}`);
  } catch (error) {
    showError(error.message);
  } finally {
    $('convert').disabled = false;
  }
}

async function main() {
  const demo = window.tfTransformsDemo = {};
  demo.ready = (async () => {
    setStatus('loading', 'Loading the model…');
    const config = await loadConfig();
    demo.config = config;
    $('model-info').textContent = `${config.name}: ${config.styles.length} styles, ` +
        `inputs up to ${config.max_samples / config.sample_rate} s`;
    fillStyles(config);
    const {model, runtime} = await startRuntime(config);
    demo.runtime = runtime;
    demo.convert = async (samples, source, target) => convert(model, config, samples, source, target);
    $('file').addEventListener('change', (event) => {
      if (event.target.files.length) readFile(event.target.files[0], config);
    });
    $('record').addEventListener('click', () => toggleRecording(config));
    $('convert').addEventListener('click', () => onConvert(model, config, runtime));
    $('record').disabled = !(navigator.mediaDevices && window.MediaRecorder);
    $('file').disabled = false;
    setStatus('ready', 'Ready: choose a file or record');
  })();
  try {
    await demo.ready;
  } catch (error) {
    showError(`The model could not be loaded: ${error.message}`);
  }
}

main();
