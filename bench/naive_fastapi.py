"""The spell reads as a team would first write them in FastAPI: the yardstick for ours.

``GET /api/spells/{id}`` and ``GET /api/spells?skip=&limit=`` over the same SQLite file
(``DATABASE_URL``), in the tutorial's shape: an async SQLAlchemy engine, ``Depends`` handing each
request its own ``AsyncSession``, a small declarative model of the ``spells`` table, and pydantic
response models with the fields and JSON of ``grimoire``'s answers (``X-Total-Count`` included;
a missing id is a 404). It imports nothing but FastAPI, SQLAlchemy and pydantic, which are
bench-only: ``bench/spell_reads_vs_fastapi.sh`` installs them in a venv of its own, checks that
both servers answer alike, then measures them side by side.

Serve: ``DATABASE_URL=sqlite+aiosqlite:///FILE uvicorn naive_fastapi:app --app-dir bench
--no-access-log`` (``grimoire serve`` runs without an access log too; uvicorn's defaults
otherwise).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import JSON, Boolean, DateTime, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_async_engine(os.environ["DATABASE_URL"])
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


class Base(DeclarativeBase):
    pass


class Spell(Base):
    __tablename__ = "spells"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    error_type: Mapped[str] = mapped_column(String(100))
    error_pattern: Mapped[str] = mapped_column(Text)
    solution_code: Mapped[str] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)
    examples: Mapped[list[str]] = mapped_column(JSON)
    counter_examples: Mapped[list[str]] = mapped_column(JSON)
    generic: Mapped[bool] = mapped_column(Boolean)
    applies_to: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SpellOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    error_type: str
    error_pattern: str
    solution_code: str
    tags: str | None
    examples: list[str]
    counter_examples: list[str]
    generic: bool
    applies_to: str
    created_at: datetime
    updated_at: datetime

    # SQLite hands back naive datetimes; the stored ones are UTC, and the API says so ("...Z").
    @field_validator("created_at", "updated_at")
    @classmethod
    def in_utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


app = FastAPI()
Session = Annotated[AsyncSession, Depends(get_session)]


@app.get("/api/spells", response_model=list[SpellOut])
async def list_spells(
    session: Session,
    response: Response,
    skip: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> Any:
    total = await session.scalar(select(func.count()).select_from(Spell))
    response.headers["X-Total-Count"] = str(total)
    page = await session.scalars(select(Spell).order_by(Spell.id).offset(skip).limit(limit))
    return page.all()


@app.get("/api/spells/{spell_id}", response_model=SpellOut)
async def get_spell(spell_id: int, session: Session) -> Any:
    spell = await session.get(Spell, spell_id)
    if spell is None:
        raise HTTPException(status_code=404, detail=f"spell {spell_id} does not exist")
    return spell
