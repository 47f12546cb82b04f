"""The queue between the crawl and the judges: one judge fewer while the crawl runs, all of them after it."""

from __future__ import annotations

from concurrent.futures import Future

from govinspect.extract.model import Expected
from govinspect.runs.site_judge import JudgeQueue, SiteJob


class HeldJudges:
    """A pool whose judgements the test hands out itself, so it sees what was submitted when."""

    def __init__(self) -> None:
        self.submitted: dict[str, Future] = {}

    def submit(self, job: SiteJob) -> Future:
        future: Future = Future()
        self.submitted[job.site_code] = future
        return future

    def finish(self, code: str) -> None:
        self.submitted[code].set_result(f"judged {code}")


def job(code: str) -> SiteJob:
    return SiteJob(code, f"http://{code}.example/", "", Expected(code, f"站点{code}", "主办单位"), {})


def test_one_judge_fewer_while_crawling_then_all() -> None:
    pool = HeldJudges()
    queue = JudgeQueue(pool, workers=3)  # type: ignore[arg-type]
    for code in ("a", "b", "c", "d"):
        queue.add(job(code))
    assert list(pool.submitted) == ["a", "b"]  # 3 workers, 2 while the crawl runs
    assert list(queue.take(wait=False)) == []
    pool.finish("b")
    assert list(queue.take(wait=False)) == [("b", "judged b")]
    assert list(pool.submitted) == ["a", "b", "c"]  # b's judge took the next site
    queue.crawl_ended()
    assert list(pool.submitted) == [
        "a",
        "b",
        "c",
        "d",
    ]  # then up to 2 × 3: the pool queues what its judges lack
    for code in ("a", "c", "d"):
        pool.finish(code)
    assert [code for code, _ in queue.take(wait=True)] == ["a", "c", "d"]
    assert len(queue) == 0


def test_a_single_judge_works_during_the_crawl() -> None:
    pool = HeldJudges()
    queue = JudgeQueue(pool, workers=1)  # type: ignore[arg-type]
    queue.add(job("a"))
    queue.add(job("b"))
    assert list(pool.submitted) == ["a"]
    pool.finish("a")
    assert [code for code, _ in queue.take(wait=False)] == ["a"]
    assert list(pool.submitted) == ["a", "b"]


def test_after_the_crawl_the_pool_is_kept_fed_beyond_its_judges() -> None:
    pool = HeldJudges()
    queue = JudgeQueue(pool, workers=2)  # type: ignore[arg-type]
    for code in "abcdef":
        queue.add(job(code))
    assert list(pool.submitted) == ["a"]
    queue.crawl_ended()
    assert list(pool.submitted) == ["a", "b", "c", "d"]  # two judging, two queued behind them
    pool.finish("a")
    assert [code for code, _ in queue.take(wait=False)] == ["a"]
    assert list(pool.submitted) == ["a", "b", "c", "d", "e"]
