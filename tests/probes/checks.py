"""What every probe test checks about a run, whatever the protocol."""
from webapp.probes import STEPS


def checked_run(probe, secrets, **values):
    """Run `probe(**values)` and check what must hold for any run: the five steps in order,
    no secret in any detail, and the report callback called. Returns the Result."""
    reported = []
    result = probe(**values, report=lambda r: reported.append(len(r.steps)))
    assert [step.step for step in result.steps] == list(STEPS)
    assert not [step for step in result.steps
                if any(secret in step.detail for secret in secrets)]
    assert reported
    return result


def failed(result):
    """(step, reason) of the first failed step."""
    return result.failed.step, result.failed.reason


def states(result):
    return [step.state for step in result.steps]
