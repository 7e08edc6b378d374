"""A visitor's trail and viewed products, in a signed cookie (no session row for a visitor).

The trail: the product pages of this walk, oldest first. A product reached any other way
("More like this", a search) is appended, moving to the end when it was on the trail already;
only a click on the trail itself goes back, cutting the trail there like a breadcrumb. The
viewed products: the last ones seen, for "inspired by what you viewed". Each list holds at
most TRAIL_LENGTH product ids. The cookie is signed (django.core.signing), so a visitor cannot
plant other values; a cookie that does not check out is ignored.
"""

from dataclasses import dataclass, field

from django.conf import settings

TRAIL_LENGTH = 8
TRAIL_BACK = "back"  # the query parameter (=1) of the trail's own links: going back
COOKIE = "trail"
SALT = "storefront.trail"
MAX_AGE_SECONDS = 30 * 24 * 3600


@dataclass
class Trail:
    steps: list = field(default_factory=list)  # product ids, oldest first
    viewed: list = field(default_factory=list)  # product ids, oldest first

    def visit(self, product_id, back=False):
        """Record a product page visit: the trail ends with it, and it is the last viewed
        product. Going `back` (a click on the trail) cuts the trail after it; any other visit
        moves it to the end."""
        if back and product_id in self.steps:
            steps = self.steps[: self.steps.index(product_id)]
        else:
            steps = [step for step in self.steps if step != product_id]
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
