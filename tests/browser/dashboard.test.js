// The dashboard in a real browser: Debian's chromium, driven by
// playwright-core, against a real `cctv serve` on a fresh embedded store.
// Records activities through the API, enters a read key once, and checks
// that the table, a non-empty chart, top targets and the recent activities
// (with attribute columns) appear; that auto-refresh shows what is recorded
// later; and that looking up an actor works. Saves a screenshot.
//
//   node dashboard.test.js CCTV_BINARY SCREENSHOT.png
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const [cctv, screenshot] = process.argv.slice(2);
const CHROMIUM = process.env.CCTV_CHROMIUM || '/usr/bin/chromium';
const READ_KEY = 'dashboard-read-key-0123456789';
const WRITE_KEY = 'dashboard-write-key-0123456789';

function startServer(dir) {
  fs.writeFileSync(path.join(dir, 'keys'), `${READ_KEY} read\n${WRITE_KEY} write\n`);
  const server = spawn(cctv, ['--store', 'rocksdb:' + path.join(dir, 'data'), 'serve', '--listen', '127.0.0.1:0',
                              '--api-keys', path.join(dir, 'keys')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: server.stdout });
    const timer = setTimeout(() => reject(new Error('cctv serve printed no URL within 30 s')), 30000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const url = /http:\/\/[0-9.:]+/.exec(line);
      if (!url) reject(new Error('unexpected first line: ' + line));
      else resolve({ server, url: url[0] });
    });
    server.once('exit', (code) => reject(new Error('cctv serve exited with ' + code)));
  });
}

async function record(url, activities) {
  const body = activities.map((a) => JSON.stringify(a)).join('\n');
  const response = await fetch(url + '/v1/pageviews/activities', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-ndjson', Authorization: 'Bearer ' + WRITE_KEY },
    body,
  });
  assert.equal(response.status, 202, await response.text());
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cctv-dashboard-'));
  let server = null, browser = null;
  try {
    const started = await startServer(dir);
    server = started.server;
    const url = started.url;
    const now = Date.now();
    const activities = [];
    for (let i = 0; i < 60; i++) {
      activities.push({
        actor: 'user' + (i % 7),
        target: i % 3 === 0 ? '/store' : i % 3 === 1 ? '/cart' : '/checkout',
        time: new Date(now - (60 - i) * 30000).toISOString(),
        attributes: { browser: i % 2 ? 'Firefox' : 'Chrome', plan: 'pro' },
      });
    }
    await record(url, activities);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url + '/');

    // The API wants a key: the dashboard asks once, and keeps it.
    await page.waitForSelector('#key-dialog[open]', { timeout: 20000 });
    await page.fill('#key-input', READ_KEY);
    await page.click('#key-ok');

    await page.waitForFunction(() => document.querySelector('#table').value === 'pageviews', null, { timeout: 20000 });
    // Counts are written once a second: the chart fills on a refresh.
    await page.waitForFunction(() => typeof chart !== 'undefined' && chart !== null &&
                                     chart.data[1].reduce((s, n) => s + n, 0) === 60, null, { timeout: 30000 });
    const chartTotal = await page.evaluate(() => chart.data[1].reduce((s, n) => s + n, 0));
    assert.equal(chartTotal, 60);
    const uniques = await page.evaluate(() => Math.max(...chart.data[2]));
    assert.ok(uniques >= 1 && uniques <= 7, 'unique actors per hour: ' + uniques);
    assert.ok(await page.locator('#chart canvas').count() > 0, 'the chart draws on a canvas');
    // Before any hover, the legend shows the latest bucket, not "--".
    const legend = await page.locator('#chart .u-legend').textContent();
    assert.ok(!legend.includes('--'), 'legend before hover: ' + legend);
    const latest = await page.evaluate(() => chart.data[1][chart.data[1].length - 1]);
    assert.ok(legend.includes('activities' + latest.toLocaleString()) ||
              legend.includes('activities ' + latest.toLocaleString()), 'legend: ' + legend);

    const top = await page.locator('#top li .name').allTextContents();
    assert.deepEqual(top.slice().sort(), ['/cart', '/checkout', '/store']);
    const topCounts = await page.locator('#top li .n').allTextContents();
    assert.deepEqual(topCounts, ['20', '20', '20']);

    // Recent activity (the busiest target's), with attribute columns.
    await page.waitForFunction(() => document.querySelectorAll('#recent tbody tr').length === 20, null, { timeout: 20000 });
    const columns = await page.locator('#recent thead th').allTextContents();
    assert.deepEqual(columns, ['time', 'actor', 'target', 'browser', 'plan']);

    // Recorded later, through the API: auto-refresh brings it in.
    await record(url, [{ actor: 'newcomer', target: '/store', attributes: { browser: 'Safari' } }]);
    await page.fill('#target', '/store');
    await page.dispatchEvent('#target', 'change');
    await page.waitForFunction(() => document.querySelector('#recent tbody').textContent.includes('newcomer'), null,
                               { timeout: 20000 });
    await page.waitForFunction(() => chart.data[1].reduce((s, n) => s + n, 0) === 21, null, { timeout: 20000 });

    // Look up by actor.
    await page.selectOption('#lookup-by', 'actor');
    await page.fill('#lookup-key', 'user3');
    await page.click('#lookup button');
    await page.waitForFunction(() => document.querySelector('#recent-title').textContent === 'Recent activity by user3',
                               null, { timeout: 20000 });
    const actors = await page.locator('#recent tbody tr td:nth-child(2)').allTextContents();
    assert.ok(actors.length > 0 && actors.every((a) => a === 'user3'), actors.join(','));

    await page.screenshot({ path: screenshot, fullPage: true });
    assert.deepEqual(errors, [], 'the page threw: ' + errors.join('; '));
    console.log('dashboard: ok; screenshot in ' + screenshot);
  } finally {
    if (browser) await browser.close();
    if (server) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
