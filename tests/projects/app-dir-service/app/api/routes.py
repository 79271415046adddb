from fastapi import APIRouter

router = APIRouter()


@router.get("/orders")
def orders() -> list[dict]:
    return [{"id": 1}]
