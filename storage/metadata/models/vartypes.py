"""Variable types: what a number means, its units and how raw values are decoded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, one_of, owned_by
from storage.metadata.models.codes import STREAM_DATA_TYPES


class VarType(CreatedMixin, Base):
    """A kind of quantity (water volume, temperature...) with its storage unit."""

    __tablename__ = "var_type"
    __table_args__ = (one_of("stream_data_type", STREAM_DATA_TYPES, "stream_data_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    storage_units_full: Mapped[str] = mapped_column(String(50), default="")
    stream_data_type: Mapped[str] = mapped_column(String(2), default="D0")
    is_encoded: Mapped[bool] = mapped_column(default=False)

    input_units: Mapped[list[VarTypeInputUnit]] = relationship(
        back_populates="var_type", cascade="all, delete-orphan", passive_deletes=True
    )
    output_units: Mapped[list[VarTypeOutputUnit]] = relationship(
        back_populates="var_type", cascade="all, delete-orphan", passive_deletes=True
    )
    decoder: Mapped[VarTypeDecoder | None] = relationship(
        back_populates="var_type", cascade="all, delete-orphan", passive_deletes=True
    )
    schema: Mapped[VarTypeSchema | None] = relationship(
        back_populates="var_type", cascade="all, delete-orphan", passive_deletes=True
    )


class VarTypeInputUnit(CreatedMixin, Base):
    """How a device's raw value converts to the storage unit: value * m / d + o."""

    __tablename__ = "var_type_input_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    var_type_id: Mapped[int] = owned_by("var_type.id")
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    unit_full: Mapped[str] = mapped_column(String(50))
    unit_short: Mapped[str] = mapped_column(String(20), default="")
    m: Mapped[int] = mapped_column(default=1)
    d: Mapped[int] = mapped_column(default=1)
    o: Mapped[float] = mapped_column(default=0.0)

    var_type: Mapped[VarType] = relationship(back_populates="input_units")


class VarTypeOutputUnit(CreatedMixin, Base):
    """How the storage unit converts to what a person reads, and with how many decimals."""

    __tablename__ = "var_type_output_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    var_type_id: Mapped[int] = owned_by("var_type.id")
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    unit_full: Mapped[str] = mapped_column(String(50))
    unit_short: Mapped[str] = mapped_column(String(20), default="")
    m: Mapped[int] = mapped_column(default=1)
    d: Mapped[int] = mapped_column(default=1)
    o: Mapped[float] = mapped_column(default=0.0)
    decimal_places: Mapped[int] = mapped_column(default=2)
    derived_units: Mapped[dict[str, Any]] = mapped_column(default=dict)

    var_type: Mapped[VarType] = relationship(back_populates="output_units")


class VarTypeDecoder(CreatedMixin, Base):
    """How an encoded value's packet is unpacked (struct format plus field info)."""

    __tablename__ = "var_type_decoder"

    id: Mapped[int] = mapped_column(primary_key=True)
    var_type_id: Mapped[int] = owned_by("var_type.id", unique=True)
    raw_packet_format: Mapped[str] = mapped_column(String(32), default="")
    packet_info: Mapped[dict[str, Any]] = mapped_column(default=dict)

    var_type: Mapped[VarType] = relationship(back_populates="decoder")


class VarTypeSchema(CreatedMixin, Base):
    """The keys (and their order) of the JSON events a var type produces."""

    __tablename__ = "var_type_schema"

    id: Mapped[int] = mapped_column(primary_key=True)
    var_type_id: Mapped[int] = owned_by("var_type.id", unique=True)
    keys: Mapped[dict[str, Any]] = mapped_column(default=dict)
    display_order: Mapped[list[Any]] = mapped_column(default=list)

    var_type: Mapped[VarType] = relationship(back_populates="schema")
