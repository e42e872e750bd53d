// Drives a served web demo in headless Chromium as a person would, for the
// tests (tests/test_web_demo.py) and the benchmark (bench/browser.py).
//
//   node web/drive_demo.mjs spec.json result.json
//
// spec.json:
//   url          the demo page (served by tf_transforms.export.web_demo.make_server)
//   chromium     the browser binary (default /usr/bin/chromium)
//   actions      [{file, source, target}]: choose `file` in the page's file
//                input, pick the styles (ids; -1 unknown), press Convert, and
//                wait for the page to say done or show an error
//   record_ms    if set, first: press Record, wait, press Stop (Chromium's fake
//                microphone, a beep) and report the recorded input's length
//   screenshot   a PNG path, taken after the last action
//   bench        {seconds: [1, 4], repeats: 5, file}: time convert() in the
//                page on the first seconds of `file`'s samples (best of repeats)
//   timeout_ms   per wait (default 120000)
// result.json: {runtime, actions: [{state, error, waveform, seconds}],
//               recorded_samples, bench: [{seconds, best_s, rtf}], console, bytes}
// Exits non-zero (with one line) when the page cannot be driven at all.

import fs from 'node:fs';
import puppeteer from 'puppeteer-core';

const [specPath, resultPath] = process.argv.slice(2);
if (!specPath || !resultPath) {
  console.error('usage: node web/drive_demo.mjs spec.json result.json');
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const timeout = spec.timeout_ms || 120000;
const result = {actions: [], console: [], bytes: 0};

const browser = await puppeteer.launch({
  executablePath: spec.chromium || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
         '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  await page.setViewport({width: 900, height: 1100});
  page.on('console', (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => result.console.push(`pageerror: ${error.message}`));
  page.on('response', async (response) => {
    const length = Number(response.headers()['content-length'] || 0);
    result.bytes += length;
  });
  await page.goto(spec.url, {waitUntil: 'load'});
  await page.waitForFunction(() => Boolean(window.tfTransformsDemo && window.tfTransformsDemo.ready));
  result.load_error = await page.evaluate(async () => {
    try {
      await window.tfTransformsDemo.ready;
      return null;
    } catch (error) {
      return error.message;
    }
  });
  result.runtime = await page.evaluate(() => window.tfTransformsDemo.runtime || null);
  result.cross_origin_isolated = await page.evaluate(() => self.crossOriginIsolated);

  const settled = () => page.waitForFunction(() => {
    const state = document.getElementById('status').dataset.state;
    return state === 'ready' || state === 'done' || state === 'error';
  });
  const pageState = () => page.evaluate(() => ({
    state: document.getElementById('status').dataset.state,
    status: document.getElementById('status').textContent,
    error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
    timing: document.getElementById('timing').textContent,
  }));

  if (spec.record_ms && !result.load_error) {
    await page.click('#record');
    await page.waitForFunction(() => document.getElementById('status').dataset.state === 'recording');
    await new Promise((resolve) => setTimeout(resolve, spec.record_ms));
    await page.click('#record');
    await page.waitForFunction(() => {
      const state = document.getElementById('status').dataset.state;
      return state === 'ready' || state === 'error';
    });
    result.recording = await pageState();
    result.recorded_samples = await page.evaluate(
        () => document.getElementById('input-info').textContent);
  }

  for (const action of spec.actions || []) {
    if (result.load_error) break;
    await page.evaluate(() => { document.getElementById('status').dataset.state = 'working'; });
    const input = await page.$('#file');
    await input.uploadFile(action.file);
    await settled();
    let state = await pageState();
    if (state.state === 'ready') {
      await page.select('#source', String(action.source));
      await page.select('#target', String(action.target));
      await page.evaluate(() => { window.tfTransformsDemo.lastResult = null; });
      await page.click('#convert');
      await page.waitForFunction(() => {
        const value = document.getElementById('status').dataset.state;
        return value === 'done' || value === 'error';
      });
      state = await pageState();
    }
    if (state.state === 'done') {
      const output = await page.evaluate(() => {
        const last = window.tfTransformsDemo.lastResult;
        return {waveform: Array.from(last.waveform), seconds: last.seconds};
      });
      Object.assign(state, output);
    }
    result.actions.push(state);
  }

  if (spec.bench && !result.load_error) {
    const samples = JSON.parse(fs.readFileSync(spec.bench.samples, 'utf8'));
    result.bench = await page.evaluate(async (bench, samples) => {
      const demo = window.tfTransformsDemo;
      const rate = demo.config.sample_rate;
      const rows = [];
      for (const seconds of bench.seconds) {
        const clip = Float32Array.from(samples.slice(0, Math.round(seconds * rate)));
        await demo.convert(clip, bench.source, bench.target);  // warm-up
        let best = Infinity;
        for (let i = 0; i < bench.repeats; i++) {
          const {seconds: took} = await demo.convert(clip, bench.source, bench.target);
          best = Math.min(best, took);
        }
        rows.push({seconds, best_s: best, rtf: best / seconds});
      }
      return rows;
    }, spec.bench, samples);
  }

  if (spec.screenshot) await page.screenshot({path: spec.screenshot, fullPage: true});
} catch (error) {
  result.driver_error = error.message;
} finally {
  await browser.close();
}
fs.writeFileSync(resultPath, JSON.stringify(result));
if (result.driver_error) {
  console.error(`drive_demo: ${result.driver_error}`);
  process.exit(1);
}
