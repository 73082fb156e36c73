"""What a Slack command or mention means: `/icp why Acme`, `/icp brief Acme`, `/icp digest`, `/icp ask ...`."""

from __future__ import annotations

from collections.abc import Callable

from agent.answers import Answer
from api.ops import answers as ops
from api.services import Services
from api.slack import SlackRequest


class UnknownTeam(Exception):
    """A Slack workspace that is not connected to any icp-agent workspace."""


def team_resolver(svc: Services) -> Callable[[str], Services]:
    """Returns a function from Slack team id to the services of the mapped workspace.

    ICP_SLACK_TEAMS maps teams to workspaces ("T012=sales-emea,T034=sales-us"); with no mapping,
    every team uses the default workspace.
    """
    mapping = dict(svc.settings.slack_team_workspaces)

    def resolve(team_id: str) -> Services:
        if not mapping:
            return svc
        ws = mapping.get(team_id)
        if ws is None:
            raise UnknownTeam(team_id)
        return svc.for_workspace(ws)

    return resolve


class IcpSlackDispatcher:
    """Turns a verified Slack request into an answer of the right workspace."""

    def __init__(self, resolve: Callable[[str], Services]) -> None:
        self.resolve = resolve

    def dispatch(self, request: SlackRequest) -> Answer:
        """Answers `why`, `brief`, `digest`, `stakeholders` or any question."""
        try:
            svc = self.resolve(request.team_id)
        except UnknownTeam:
            return Answer(
                text="This Slack workspace is not connected to icp-agent. Ask an admin to map it in ICP_SLACK_TEAMS.",
                intent="error",
                unknown=True,
            )
        text = " ".join(request.text.split())
        verb, _, rest = text.partition(" ")
        verb = verb.casefold()
        if verb == "why" and rest:
            return ops.why(svc, rest.removesuffix("?"))
        if verb == "brief" and rest:
            return ops.brief(svc, rest).to_answer()
        if verb in ("stakeholders", "who") and rest:
            return ops.stakeholders(svc, rest.removeprefix("at ").removesuffix("?"))
        if verb == "digest":
            d = ops.preview_digest(svc)
            return Answer(text=d.to_markdown(), intent="digest", citations=list(d.citations))
        question = rest if verb == "ask" else text
        user = f"slack:{request.team_id}:{request.user_id}"
        return ops.ask(svc, question, user_id=user, conversation_id=request.channel_id or "slack")
