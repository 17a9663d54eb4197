"""Named defaults, in one place. The config falls back to these."""

from __future__ import annotations

from refeed import __version__

USER_AGENT = f"refeed/{__version__} (+https://github.com/refeed/refeed)"
OUTPUT_DIR = "feeds"
DATABASE = "refeed.db"
SCHEDULE = "*/30 * * * *"
MAX_ITEMS = 50

# fetch
CONNECT_TIMEOUT = 10.0  # seconds to open a connection
READ_TIMEOUT = 20.0  # seconds between two reads of the body
DEADLINE = 60.0  # seconds for the whole request, body, retries and their waits included
CYCLE_TIMEOUT = 900.0  # seconds a whole cycle may take; each source's run stops there
MAX_REDIRECTS = 5
RETRIES = 1  # one more try on a connection error or a 5xx
RETRY_BACKOFF = 1.0  # seconds before the retry (Retry-After wins when given, up to RETRY_AFTER_MAX)
RETRY_AFTER_MAX = 30.0
MAX_CONNECTIONS = 16  # at once, all hosts together
MAX_PER_HOST = 2  # at once, to one host
KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept for reuse
MAX_PAGE_BYTES = 10 * 1024 * 1024  # decoded bytes of an article or listing page
MAX_FEED_BYTES = 5 * 1024 * 1024  # decoded bytes of a feed

# refeed worker
WORKER_CONCURRENCY = 8  # sources one worker runs at once
WORKER_STALLED_AFTER = 30.0  # seconds without a worker's heartbeat: its jobs run again

# serve
LISTEN = "127.0.0.1:8080"  # refeed serve's address
SERVE_MAX_CONNECTIONS = 512  # open at once (at most half the open-file limit); more are closed
SERVE_HEADER_TIMEOUT = 10.0  # seconds a connection has to send a whole request head
SERVE_REQUEST_TIMEOUT = 30.0  # seconds a client has to take its whole answer
SERVE_KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
SERVE_BACKLOG = 2048  # connections the kernel queues before refeed accepts them (as uvicorn)

# scheduler
LOCK_WAIT = 60.0  # seconds `refeed run` (and a starting daemon) waits for another one's lock
BACKOFF_BASE = 300.0  # seconds a source waits after a 2nd failure in a row; doubles after each more
BACKOFF_MAX = 24 * 3600.0  # a failing source is tried at least once a day
JITTER = 30  # seconds of random delay added to each scheduled run
MISFIRE_GRACE = 300  # a run late by up to this many seconds still happens

# extraction
MIN_ARTICLE_CHARS = (
    200  # below this, an extraction is treated as a failure and the feed summary is kept
)
SHRINK_RATIO = 0.5  # a re-extraction shorter than this share of the stored text is not taken

# workers
WORKER_MAX_TASKS = 500  # pages per worker process before a fresh pool replaces the pool
PAGES_IN_FLIGHT = 24  # article pages being fetched or extracted at once
EXTRACT_SECONDS = 60.0  # a worker still on one page after this is killed by the kernel

# knowing when a source breaks (refeed.breaks)
BREAK_RECENT_ITEMS = 5  # the last extractions judged together: never one odd item alone
BREAK_MIN_ITEMS = 3  # of those, this many short ones (or fallbacks to the summary) are a break
BREAK_SHORT_RATIO = 1 / 3  # an item's text under this share of the source's usual is short
BREAK_USUAL_ITEMS = 30  # the usual: median of this many extractions (or cycles) before
BREAK_MIN_HISTORY = 10  # extractions of history before the last ones are judged
BREAK_MIN_CYCLES = 3  # cycles with items before an empty one is a break
HISTORY_CYCLES = 200  # cycles kept per source; a break that lasts longer becomes its usual
HISTORY_ITEMS = 500  # extractions kept per source

MAX_PAGES = 10  # pages of one story followed (its next page links), the first included
