"""Staff web page, /kartlaggning and /strategi (issue 5). Placeholder router until then."""
from fastapi import APIRouter

router = APIRouter()
