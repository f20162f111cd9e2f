"""API keys: header `X-API-Key` or `Authorization: Bearer <key>`, compared in constant time."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

# auto_error=False: this module answers 401 itself, whichever of the two headers is missing
_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="one of EMPORIUM_API_KEYS")
_BEARER = HTTPBearer(auto_error=False, description="one of EMPORIUM_API_KEYS as a bearer token")


def key_matches(candidate: str, keys: tuple[str, ...]) -> bool:
    """Whether `candidate` is one of `keys`; every key is compared, each in constant time."""
    given = candidate.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key.encode())
    return found


def require_api_key(
    request: Request,
    api_key: Annotated[str | None, Security(_API_KEY)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
) -> None:
    candidate = api_key or (bearer.credentials if bearer else None)
    if not candidate or not key_matches(candidate, request.app.state.settings.serving.api_keys):
        raise HTTPException(
            status_code=401,
            detail="a valid API key is required: header X-API-Key or Authorization: Bearer",
            headers={"WWW-Authenticate": "Bearer"},
        )
