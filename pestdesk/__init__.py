"""pestdesk: the anti-bullying protocol of a Dutch secondary school as daily work for its
care team."""

__version__ = "0.1.0"
APP_NAME = "pestdesk"
