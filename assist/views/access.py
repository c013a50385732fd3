"""What the console's views share: their scope, and the tickets and drafts the caller may reach."""

from __future__ import annotations

from django.http import Http404
from rest_framework.request import Request

from support.core import roles
from support.tickets.models import Ticket
from support.tickets.selectors import ticket_scope_for_user

from .. import services
from ..models import Suggestion
from ..selectors import suggestion_list_for_user


class AssistScoped:
    read_scope = roles.ASSIST
    write_scope = roles.ASSIST


def visible_ticket(request: Request, pk: int) -> Ticket:
    """The ticket `pk` if the caller may see it; 404 otherwise."""
    ticket = ticket_scope_for_user(user=request.user).filter(pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


def visible_suggestion(request: Request, pk: int) -> Suggestion:
    """The draft `pk` if the caller may see it, as failed if no worker started it in time; 404 otherwise."""
    suggestion = suggestion_list_for_user(user=request.user).filter(pk=pk).first()
    if suggestion is None:
        raise Http404
    if suggestion.status == Suggestion.Status.PENDING and services.suggestions_expire(
        ticket_id=suggestion.ticket_id
    ):
        # No worker started it in time: read it again as failed.
        suggestion = suggestion_list_for_user(user=request.user).get(pk=pk)
    return suggestion
