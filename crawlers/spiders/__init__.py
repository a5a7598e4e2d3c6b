"""Scrapy side of the crawler: the article spider, its thin middlewares and the child-process
entry point (`python -m crawlers.spiders.child JOB.json`)."""
