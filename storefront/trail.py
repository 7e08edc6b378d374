"""A visitor's trail and viewed products, in a signed cookie (no session row for a visitor).

The trail: the product pages of this walk, oldest first, cut back like a breadcrumb when the
visitor goes back to one of them. The viewed products: the last ones seen, for "inspired by
what you viewed". Each list holds at most TRAIL_LENGTH product ids. The cookie is signed
(django.core.signing), so a visitor cannot plant other values; a cookie that does not check
out is ignored.
"""

from dataclasses import dataclass, field

from django.conf import settings

TRAIL_LENGTH = 8
COOKIE = "trail"
SALT = "storefront.trail"
MAX_AGE_SECONDS = 30 * 24 * 3600


@dataclass
class Trail:
    steps: list = field(default_factory=list)  # product ids, oldest first
    viewed: list = field(default_factory=list)  # product ids, oldest first

    def visit(self, product_id):
        """Record a product page visit: the trail ends with it (cut back to it when it was on
        the trail already), and it is the last viewed product."""
        steps = (
            self.steps[: self.steps.index(product_id)] if product_id in self.steps else self.steps
        )
        self.steps = (steps + [product_id])[-TRAIL_LENGTH:]
        viewed = [seen for seen in self.viewed if seen != product_id]
        self.viewed = (viewed + [product_id])[-TRAIL_LENGTH:]


def trail_of(request):
    """The visitor's Trail from the request's signed cookie (empty without a valid one)."""
    value = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE_SECONDS)
    try:
        steps, viewed = (part.split(".") if part else [] for part in value.split(":"))
        return Trail(
            [int(pk) for pk in steps][-TRAIL_LENGTH:], [int(pk) for pk in viewed][-TRAIL_LENGTH:]
        )
    except (AttributeError, ValueError):  # no cookie, or not of this shape
        return Trail()


def trail_keep(response, trail):
    """Set the trail's signed cookie on the response ("1.2.3:3.2": steps, then viewed)."""
    value = f"{'.'.join(map(str, trail.steps))}:{'.'.join(map(str, trail.viewed))}"
    response.set_signed_cookie(
        COOKIE,
        value,
        salt=SALT,
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
