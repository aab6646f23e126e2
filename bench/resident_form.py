"""The resident report form on a phone: bytes transferred and largest contentful paint.

The app (SQLite, the demo city) is served on 127.0.0.1 by a thread; Debian's
chromium, driven by Playwright, opens ``/`` in a phone's viewport with the CPU
slowed down 4× and a mobile network profile (Chrome DevTools' "Fast 3G":
150 ms latency, 1.6 Mbit/s down, 750 kbit/s up), both through the DevTools
protocol. Each round measures:

- the bytes the page transfers (every response's encoded length, map tiles
  and photos excluded: the form loads neither until asked);
- its largest contentful paint (the browser's own ``largest-contentful-paint``
  entry).

The ceiling, measured in the same run and taking turns with the form, is a
bare page with one heading and one paragraph from the same server under the
same throttling, so the LCP ratio holds on a loaded machine.

Targets: under 150 KB transferred and an LCP under 1.5 s. Exits with status 1
when one is missed.

    python bench/resident_form.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.seed import seed_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1.6 * 1024 * 1024 / 8, "uploadThroughput": 750 * 1024 / 8}
BYTES_TARGET = 150 * 1024
LCP_TARGET_MS = 1500
BARE = "/__bench__/bare"
LCP_SCRIPT = """() => new Promise(resolve => {
  new PerformanceObserver(list => { const e = list.getEntries(); resolve(e[e.length - 1].startTime); })
    .observe({type: 'largest-contentful-paint', buffered: true});
})"""


def serve() -> tuple[str, object]:
    data = Path(tempfile.mkdtemp(prefix="resident-form-"))
    app = create_app({"DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "CELERY_BROKER_URL": "memory://localhost/", "LOG_LEVEL": "WARNING", "RATE_LIMITS_ENABLED": False})
    app.add_url_rule(BARE, "bench_bare", lambda: "<!doctype html><html lang=ja><title>bare</title>"
                                                 "<h1>まちの困りごとを知らせる</h1><p>道路の穴、街灯の故障などを知らせることができます。</p>")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_demo(db.session())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def measure(browser, url: str) -> tuple[int, float]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True,
                                  locale="ja-JP")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    received: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    page.goto(url, wait_until="load")
    lcp = page.evaluate(LCP_SCRIPT)
    page.wait_for_timeout(200)
    context.close()
    return int(sum(received)), float(lcp)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    base, server = serve()
    form_bytes, form_lcp, bare_lcp = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        measure(browser, base + "/")  # warm the server's templates and the database
        for _ in range(options.rounds):
            size, lcp = measure(browser, base + "/")
            form_bytes.append(size)
            form_lcp.append(lcp)
            bare_lcp.append(measure(browser, base + BARE)[1])
        browser.close()
    server.shutdown()  # type: ignore[attr-defined]
    size = max(form_bytes)
    lcp, ceiling = statistics.median(form_lcp), statistics.median(bare_lcp)
    print(f"form page: {size / 1024:.1f} KB transferred (target < {BYTES_TARGET // 1024} KB)")
    print(f"LCP: form {lcp:.0f} ms, bare page {ceiling:.0f} ms (ratio {lcp / ceiling:.2f}; target < {LCP_TARGET_MS} ms), "
          f"median of {options.rounds}, 4× CPU throttling, Fast 3G")
    return 0 if size < BYTES_TARGET and lcp < LCP_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
