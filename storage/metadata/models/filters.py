"""Stream filters: a state machine per stream that fires actions (alerts) on transitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, one_of, optional_ref, owned_by
from storage.metadata.models.codes import ACTION_ON, ACTION_TYPES, TRIGGER_OPERATORS


class StreamFilter(CreatedMixin, Base):
    """A filter on ``f--pid--did--lid``; with no device it applies to the variable project-wide.

    Two partial unique indexes (not one over a nullable column, which SQLite would not enforce for
    NULLs) give each device at most one filter per variable and the project at most one default.
    """

    __tablename__ = "stream_filter"
    __table_args__ = (
        Index(
            "uq_stream_filter_device_lid",
            "project_id",
            "device_id",
            "var_lid",
            unique=True,
            sqlite_where=text("device_id IS NOT NULL"),
        ),
        Index(
            "uq_stream_filter_project_lid",
            "project_id",
            "var_lid",
            unique=True,
            sqlite_where=text("device_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), default="")
    org_id: Mapped[int] = owned_by("org.id")
    project_id: Mapped[int] = owned_by("project.id", index=False)
    variable_id: Mapped[int | None] = optional_ref("stream_variable.id")
    device_id: Mapped[int | None] = owned_by("device.id", big=True)
    var_lid: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    states: Mapped[list[State]] = relationship(
        back_populates="filter", cascade="all, delete-orphan", passive_deletes=True
    )
    transitions: Mapped[list[StateTransition]] = relationship(
        back_populates="filter", cascade="all, delete-orphan", passive_deletes=True
    )


class State(CreatedMixin, Base):
    """A named state of a filter; its actions run on entry or exit."""

    __tablename__ = "stream_filter_state"
    __table_args__ = (UniqueConstraint("filter_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filter_id: Mapped[int] = owned_by("stream_filter.id", index=False)
    label: Mapped[str] = mapped_column(String(60))

    filter: Mapped[StreamFilter] = relationship(back_populates="states")
    actions: Mapped[list[StreamFilterAction]] = relationship(
        back_populates="state", cascade="all, delete-orphan", passive_deletes=True
    )


class StateTransition(CreatedMixin, Base):
    """``src`` -> ``dst`` when every trigger holds; no ``src`` means "from any other state"."""

    __tablename__ = "stream_filter_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    filter_id: Mapped[int] = owned_by("stream_filter.id")
    src_id: Mapped[int | None] = owned_by("stream_filter_state.id")
    dst_id: Mapped[int] = owned_by("stream_filter_state.id")

    filter: Mapped[StreamFilter] = relationship(back_populates="transitions")
    src: Mapped[State | None] = relationship(foreign_keys=[src_id])
    dst: Mapped[State] = relationship(foreign_keys=[dst_id])
    triggers: Mapped[list[StreamFilterTrigger]] = relationship(
        back_populates="transition", cascade="all, delete-orphan", passive_deletes=True
    )


class StreamFilterTrigger(CreatedMixin, Base):
    """``value <operator> threshold``; ``user_threshold`` is what the user typed, in their unit."""

    __tablename__ = "stream_filter_trigger"
    __table_args__ = (one_of("operator", TRIGGER_OPERATORS, "operator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transition_id: Mapped[int] = owned_by("stream_filter_transition.id")
    operator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float | None]
    user_threshold: Mapped[float | None]
    user_output_unit_id: Mapped[int | None] = optional_ref("var_type_output_unit.id", index=False)

    transition: Mapped[StateTransition] = relationship(back_populates="triggers")


class StreamFilterAction(CreatedMixin, Base):
    """What to do when a state is entered or left (email, SMS, Slack, derive a stream...)."""

    __tablename__ = "stream_filter_action"
    __table_args__ = (one_of("type", ACTION_TYPES, "type"), one_of("on", ACTION_ON, "on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = owned_by("stream_filter_state.id")
    type: Mapped[str] = mapped_column(String(4))
    on: Mapped[str] = mapped_column(String(5), default="entry")
    extra_payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    state: Mapped[State] = relationship(back_populates="actions")
