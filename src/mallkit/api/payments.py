"""Payment endpoints: the webhooks payment providers send to the shop."""

from typing import Literal

from ninja import Field, Router, Schema

from mallkit.payments import services

from .common import error_responses

router = Router(tags=["payments"])


class WebhookOut(Schema):
    status: Literal["processed", "duplicate", "ignored"] = Field(
        description="`duplicate` when the event was received before; nothing changed then."
    )
    event_id: str = Field(description="The provider's id of the event.")
    outcome: str = Field(description="What the shop did with the event, for people.")


@router.post(
    "/{gateway}/webhook",
    auth=None,
    response={200: WebhookOut, **error_responses(400, 404)},
    summary="Receive a payment provider's webhook",
    description=(
        "Called by payment providers, not by people. The raw body is verified with the "
        "gateway's signature header (the sandbox's `Mallkit-Signature: t=<unix seconds>,"
        "v1=<hex HMAC-SHA256 of '<t>.<raw body>'>`, Stripe's `Stripe-Signature`); a bad or "
        "missing signature, or a timestamp more than five minutes old, answers 400 with the code "
        "`invalid_webhook` and changes nothing. Each event is stored once by its id and applied "
        "once, so a provider may resend it safely."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The provider's event, exactly as signed.",
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": {
                        "id": "evt_3f9c2a",
                        "type": "payment.succeeded",
                        "data": {"reference": "pay_1a2b3c", "amount": "129.00", "currency": "USD"},
                    },
                }
            },
        }
    },
)
def receive_webhook(request, gateway: str):
    # The signature covers the exact bytes sent, so the body is read raw, never parsed first.
    outcome = services.handle_webhook(
        gateway_code=gateway, headers=request.headers, body=request.body
    )
    return {"status": outcome.status, "event_id": outcome.event_id, "outcome": outcome.outcome}
