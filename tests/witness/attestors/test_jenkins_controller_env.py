"""A Jenkins step on the `built-in` node runs in the controller's container (jenkins/jenkins image) as its
`jenkins` account: `HOME` and what lives under it are `/var/jenkins_home`, and the environment
attestation's hostname is the container's (its id), not an agent's; steps on agents keep `/home/jenkins`."""

from __future__ import annotations

import random
import re

from witness_evals.witness.attestors.scenario import JENKINS_CONTROLLER_HOME, Scenario


def _jenkins(n: int) -> list[Scenario]:
    return [Scenario.random(random.Random(seed), ci="jenkins") for seed in range(n)]


def test_controller_steps_use_the_controller_home_and_host() -> None:
    controller = [s for s in _jenkins(60) if s.env["NODE_NAME"] == "built-in"]
    assert controller
    for s in controller:
        assert s.env["HOME"] == JENKINS_CONTROLLER_HOME
        assert not any(v.startswith("/home/jenkins") for v in s.env.values())
        assert re.fullmatch(r"[0-9a-f]{12}", s.hostname) and s.env["HOSTNAME"] == s.hostname
        assert s.env["WORKSPACE"].startswith(JENKINS_CONTROLLER_HOME + "/workspace/")


def test_agent_steps_keep_the_agent_home() -> None:
    agents = [s for s in _jenkins(60) if s.env["NODE_NAME"] != "built-in"]
    assert agents
    for s in agents:
        assert s.env["HOME"] == "/home/jenkins" and s.env["HOSTNAME"] == s.hostname
        assert s.env["WORKSPACE"].startswith("/home/jenkins/agent/workspace/")
