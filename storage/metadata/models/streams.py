"""Stream metadata: variables, stream ids, streamers and the reports uploaded through them.

The readings themselves live in DuckDB (storage/streams); these rows say what a stream is and how
far each streamer has uploaded (``Streamer.last_id`` is the dedup guard of decision 3).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, kept_ref, one_of, optional_ref, owned_by
from storage.metadata.models.codes import MDO_TYPES, STREAM_DATA_TYPES

if TYPE_CHECKING:
    from storage.metadata.models.devices import Device
    from storage.metadata.models.projects import Project


class StreamVariable(CreatedMixin, Base):
    """A project variable (``v--pid--lid``): what a lid means in this project and how to scale it."""

    __tablename__ = "stream_variable"
    __table_args__ = (UniqueConstraint("project_id", "lid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = owned_by("project.id", index=False)
    lid: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    about: Mapped[str] = mapped_column(Text, default="")
    var_type_id: Mapped[int | None] = kept_ref("var_type.id")
    units: Mapped[str] = mapped_column(String(50), default="")
    input_unit_id: Mapped[int | None] = optional_ref("var_type_input_unit.id", index=False)
    output_unit_id: Mapped[int | None] = optional_ref("var_type_output_unit.id", index=False)
    multiplication_factor: Mapped[int] = mapped_column(default=1)
    division_factor: Mapped[int] = mapped_column(default=1)
    offset: Mapped[float] = mapped_column(default=0.0)
    decimal_places: Mapped[int] = mapped_column(default=2)
    raw_value_format: Mapped[str] = mapped_column(String(5), default="<L")
    app_only: Mapped[bool] = mapped_column(default=False)
    web_only: Mapped[bool] = mapped_column(default=False)

    project: Mapped[Project] = relationship()


class StreamId(CreatedMixin, Base):
    """A stream (``s--pid32--did64--lid16``); table ``stream``.

    ``project_gid``/``device_gid``/``var_lid`` are exactly the three integers of the slug and are
    unique together, so a parsed slug finds its row in one index probe. ``device_gid`` carries the
    block number in its top 16 bits for archived streams (whose ``project_gid`` is 0), and is 0 for a
    project's virtual streams. The nullable foreign keys beside them keep the relations honest.
    """

    __tablename__ = "stream"
    __table_args__ = (
        UniqueConstraint("project_gid", "device_gid", "var_lid"),
        CheckConstraint(
            "(project_id IS NULL AND project_gid = 0) OR project_gid = project_id", name="project_gid"
        ),
        one_of("data_type", STREAM_DATA_TYPES, "data_type"),
        one_of("mdo_type", MDO_TYPES, "mdo_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_gid: Mapped[int] = mapped_column(default=0)
    device_gid: Mapped[int] = mapped_column(BigInteger, default=0)
    var_lid: Mapped[int]
    org_id: Mapped[int] = owned_by("org.id")
    project_id: Mapped[int | None] = owned_by("project.id")
    device_id: Mapped[int | None] = owned_by("device.id", big=True)
    block_id: Mapped[int | None] = owned_by("data_block.id")
    variable_id: Mapped[int | None] = optional_ref("stream_variable.id")
    var_type_id: Mapped[int | None] = kept_ref("var_type.id", index=False)
    input_unit_id: Mapped[int | None] = optional_ref("var_type_input_unit.id", index=False)
    output_unit_id: Mapped[int | None] = optional_ref("var_type_output_unit.id", index=False)
    data_type: Mapped[str] = mapped_column(String(2), default="00")
    derived_stream_id: Mapped[int | None] = optional_ref("stream.id")
    data_label: Mapped[str] = mapped_column(String(60), default="")
    multiplication_factor: Mapped[int | None]
    division_factor: Mapped[int | None]
    offset: Mapped[float | None]
    mdo_type: Mapped[str] = mapped_column(String(1), default="S")
    raw_value_format: Mapped[str] = mapped_column(String(5), default="<L")
    is_encoded: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)

    device: Mapped[Device | None] = relationship()
    variable: Mapped[StreamVariable | None] = relationship()


class Streamer(CreatedMixin, Base):
    """A device's report streamer (``t--did--index``). ``last_id`` is the highest reading id stored.

    Uploads at or below ``last_id`` are duplicates; it only moves in the same commit as the data it
    guards (or is reconciled from the data at start-up), see decision 3.
    """

    __tablename__ = "streamer"
    __table_args__ = (UniqueConstraint("device_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = owned_by("device.id", index=False, big=True)
    index: Mapped[int]
    last_id: Mapped[int] = mapped_column(default=0)
    last_reboot_ts: Mapped[datetime | None]
    is_system: Mapped[bool] = mapped_column(default=False)
    selector: Mapped[int] = mapped_column(default=0)
    process_engine_ver: Mapped[int] = mapped_column(default=0)
    promoted: Mapped[bool] = mapped_column(default=False)

    device: Mapped[Device] = relationship()
    reports: Mapped[list[StreamerReport]] = relationship(
        back_populates="streamer", cascade="all, delete-orphan", passive_deletes=True
    )


class StreamerReport(CreatedMixin, Base):
    """One upload; ``blob_key`` is the raw file kept first (decision 5), relative to blobs/.

    ``original_*`` are the ids the device sent, ``actual_*`` what was new after dedup.
    """

    __tablename__ = "streamer_report"
    __table_args__ = (Index(None, "streamer_id", "created_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    streamer_id: Mapped[int] = owned_by("streamer.id", index=False)
    original_first_id: Mapped[int | None]
    original_last_id: Mapped[int | None]
    actual_first_id: Mapped[int | None]
    actual_last_id: Mapped[int | None]
    sent_timestamp: Mapped[datetime | None]
    device_sent_timestamp: Mapped[int | None]
    incremental_id: Mapped[int | None]
    time_epsilon: Mapped[float | None]
    num_entries: Mapped[int] = mapped_column(default=0)
    blob_key: Mapped[str | None] = mapped_column(String(255))

    streamer: Mapped[Streamer] = relationship(back_populates="reports")
