"""QNN run configuration (layer: qnn): one validated pydantic model, unknown keys rejected.

``QnnConfig.model_validate(d)`` raises pydantic's ``ValidationError`` (its locations name the field);
``parse_config`` turns the same problems into ``QnnConfigError`` with ``FieldError`` lines like the
scenario format (``distributed.partition[1]: ...``), for the CLI and the app.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qnp_engine.model.errors import FieldError, field_errors


class QnnConfigError(ValueError):
    """Invalid QNN configuration; ``errors`` lists every problem as a ``FieldError``."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class Dataset(str, Enum):
    TWO_MOONS = "two_moons"
    CIRCLES = "circles"
    XOR = "xor"
    IRIS = "iris"
    AD_HOC = "ad_hoc"
    REGRESSION_SINE = "regression_sine"


class FeatureMap(str, Enum):
    ANGLE = "angle"
    ZZ = "zz"


class Ansatz(str, Enum):
    REAL_AMPLITUDES = "real_amplitudes"
    HARDWARE_EFFICIENT = "hardware_efficient"


class Readout(str, Enum):
    OBSERVABLE = "observable"
    SAMPLER = "sampler"


class Observable(str, Enum):
    LOCAL = "local"  # Z on qubit k for output k
    PARITY = "parity"  # Z on every qubit (EstimatorQNN's default)


class Task(str, Enum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class Optimizer(str, Enum):
    ADAM = "adam"
    COBYLA = "cobyla"
    LBFGS = "lbfgs"


class EngineName(str, Enum):
    CUDAQ = "cudaq"
    QISKIT = "qiskit"  # qiskit-machine-learning on Aer V2 primitives
    QISKIT_REFERENCE = "qiskit-reference"  # qiskit-machine-learning on its reference (Statevector) primitives


class Target(str, Enum):
    QPP_CPU = "qpp-cpu"
    DENSITY_MATRIX_CPU = "density-matrix-cpu"
    NVIDIA = "nvidia"


class DistributedCircuit(str, Enum):
    TELEPORT = "teleport"  # every remote gate as the full gate-teleportation circuit (ancillas, Bell pair)
    CHANNEL = "channel"  # the equivalent: local gate + the Pauli channel a Werner pair causes (tested equal)


_STRICT = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=False)
Fidelity = Annotated[float, Field(gt=0.25, le=1.0)]


class DistributedConfig(BaseModel):
    """The model's qubits split over network nodes; each cross-node two-qubit gate uses one Bell pair."""

    model_config = _STRICT

    topology: Path | None = None  # scenario YAML (a designer topology); relative to the config file
    scenario: dict[str, Any] | None = None  # or the scenario inline, in the same YAML format
    nodes: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=2)]
    partition: list[list[Annotated[int, Field(ge=0)]]] | None = None  # qubits per node; default contiguous
    pair_fidelity: Fidelity | None = None  # override the network's delivered fidelity
    pair_rate_hz: Annotated[float, Field(gt=0)] | None = None  # override the network's pair rate
    pairs_per_request: Annotated[int, Field(ge=10, le=1_000_000)] = 500  # pairs the network run delivers
    shots_per_circuit: Annotated[int, Field(ge=1)] = 1000  # for the network wall time of an exact run
    circuit: DistributedCircuit = DistributedCircuit.TELEPORT
    fidelity_sweep: list[Fidelity] = Field(default_factory=list)  # extra trainings, one per pair fidelity

    @model_validator(mode="after")
    def _source(self) -> DistributedConfig:
        # Cross-field messages start with the field they are about ("field: reason"); see _errors.
        if self.topology is not None and self.scenario is not None:
            raise ValueError("scenario: give either topology or scenario, not both")
        if self.topology is None and self.scenario is None and self.pair_fidelity is None:
            raise ValueError("topology: give topology or scenario (a network to run), or pair_fidelity")
        if len(set(self.nodes)) != len(self.nodes):
            raise ValueError("nodes: must be distinct")
        if self.partition is not None and len(self.partition) != len(self.nodes):
            raise ValueError(f"partition: {len(self.partition)} groups for {len(self.nodes)} nodes")
        return self


class EffectiveDimensionConfig(BaseModel):
    """Effective dimension (Abbas et al. 2021) of the model and of a classical net of equal size."""

    model_config = _STRICT

    weight_samples: Annotated[int, Field(ge=1, le=1000)] = 10
    input_samples: Annotated[int, Field(ge=1, le=10_000)] = 20
    dataset_sizes: list[Annotated[int, Field(ge=2)]] = Field(
        default_factory=lambda: [1000, 2000, 8000, 10_000, 40_000, 60_000, 100_000, 150_000, 200_000, 500_000,
                                 1_000_000])


class QnnConfig(BaseModel):
    """Everything one QNN training run needs; every field has a default except none."""

    model_config = _STRICT

    name: Annotated[str, Field(min_length=1, max_length=128)] = "qnn"
    dataset: Dataset = Dataset.TWO_MOONS
    samples: Annotated[int, Field(ge=8, le=100_000)] = 200
    test_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.25
    noise: Annotated[float, Field(ge=0, le=5)] | None = None  # dataset noise; None = the dataset's default
    feature_map: FeatureMap = FeatureMap.ANGLE
    feature_map_reps: Annotated[int, Field(ge=1, le=10)] | None = None  # None: 2 for zz, 1 for angle
    reupload: bool = False  # repeat the feature map before every ansatz layer (data re-uploading)
    ansatz: Ansatz = Ansatz.REAL_AMPLITUDES
    qubits: Annotated[int, Field(ge=1, le=30)] = 2
    reps: Annotated[int, Field(ge=0, le=50)] = 2
    readout: Readout = Readout.OBSERVABLE
    observable: Observable = Observable.LOCAL
    task: Task | None = None  # None: the dataset's natural task
    optimizer: Optimizer = Optimizer.ADAM
    learning_rate: Annotated[float, Field(gt=0, le=10)] = 0.1
    epochs: Annotated[int, Field(ge=1, le=100_000)] = 30
    batch_size: Annotated[int, Field(ge=1)] | None = None  # None: full batch
    engine: EngineName = EngineName.CUDAQ
    target: Target | None = None  # CUDA-Q target; None: nvidia with a GPU, else qpp-cpu (density-matrix if noisy)
    qiskit_gradient: Annotated[str, Field(pattern=r"^(batched|library)$")] = "batched"
    shots: Annotated[int, Field(ge=1, le=10_000_000)] | None = None  # None: exact expectation values
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 1
    initial_weights: list[float] | None = None
    distributed: DistributedConfig | None = None
    effective_dimension: EffectiveDimensionConfig | None = None

    @model_validator(mode="after")
    def _consistent(self) -> QnnConfig:
        # Cross-field messages start with the field they are about ("field: reason"); see _errors.
        task = self.resolved_task
        natural = natural_task(self.dataset)
        if task is Task.REGRESSION and natural is not Task.REGRESSION:
            raise ValueError(f"task: regression needs dataset regression_sine, not {self.dataset.value}")
        if task is not Task.REGRESSION and natural is Task.REGRESSION:
            raise ValueError(f"task: dataset regression_sine needs task regression, not {task.value}")
        if self.readout is Readout.SAMPLER and task is Task.REGRESSION:
            raise ValueError("readout: sampler gives class probabilities; use observable for regression")
        if self.observable is Observable.PARITY and task is Task.MULTICLASS and self.readout is Readout.OBSERVABLE:
            raise ValueError("observable: parity gives one output; multiclass needs local")
        if self.dataset is Dataset.AD_HOC and not 2 <= self.qubits <= 3:
            raise ValueError("qubits: dataset ad_hoc exists for 2 or 3 qubits only")
        if self.engine is EngineName.QISKIT and self.readout is Readout.SAMPLER and self.shots is None:
            raise ValueError("shots: Aer's SamplerV2 only samples; set shots (e.g. 1024), or use engine "
                             "qiskit-reference or readout observable for exact values")
        if self.target is not None and self.engine is not EngineName.CUDAQ:
            raise ValueError(f"target: selects a CUDA-Q simulator; engine {self.engine.value} takes none")
        if self.distributed is not None:
            d = self.distributed
            if len(d.nodes) > self.qubits:
                raise ValueError(f"distributed.nodes: {len(d.nodes)} nodes for {self.qubits} qubits")
            if d.partition is not None:
                flat = sorted(q for group in d.partition for q in group)
                if flat != list(range(self.qubits)):
                    raise ValueError(f"distributed.partition: must place each of the {self.qubits} qubits "
                                     "on exactly one node")
                if any(not group for group in d.partition):
                    raise ValueError("distributed.partition: every node needs at least one qubit")
        return self

    @property
    def resolved_task(self) -> Task:
        return self.task if self.task is not None else natural_task(self.dataset)

    @property
    def resolved_feature_map_reps(self) -> int:
        if self.feature_map_reps is not None:
            return self.feature_map_reps
        return 2 if self.feature_map is FeatureMap.ZZ else 1


def natural_task(dataset: Dataset) -> Task:
    if dataset is Dataset.REGRESSION_SINE:
        return Task.REGRESSION
    if dataset is Dataset.IRIS:
        return Task.MULTICLASS
    return Task.BINARY


def _errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for e in field_errors(exc):
        # a rule on the distributed block names its fields relative to the block
        path = e.path.removeprefix("distributed.") if e.path.startswith("distributed.distributed") else e.path
        out.append(FieldError(path, e.message))
    return out


def parse_config(data: Any, base_dir: Path | None = None) -> QnnConfig:
    """Validate a mapping into ``QnnConfig`` or raise ``QnnConfigError`` naming each bad field.

    ``base_dir`` resolves a relative ``distributed.topology`` path (the config file's folder).
    """
    if isinstance(data, QnnConfig):
        return data
    if not isinstance(data, dict):
        raise QnnConfigError([FieldError("", "the configuration must be a mapping (name:, dataset:, ...)")])
    try:
        cfg = QnnConfig.model_validate(data)
    except ValidationError as exc:
        raise QnnConfigError(_errors(exc)) from None
    d = cfg.distributed
    if d is not None and d.topology is not None and base_dir is not None and not d.topology.is_absolute():
        cfg = cfg.model_copy(update={"distributed": d.model_copy(update={"topology": base_dir / d.topology})})
    return cfg


def read_config_dict(path: Path) -> Any:
    """The parsed YAML document of a config file (``yaml.safe_load``), or ``QnnConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QnnConfigError([FieldError("", f"cannot read {path}: {exc.strerror}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise QnnConfigError([FieldError("", f"malformed YAML: {where}{getattr(exc, 'problem', exc)}")]) from None


def load_config(path: Path) -> QnnConfig:
    """Read a YAML file and validate it; errors name the field."""
    return parse_config(read_config_dict(path), base_dir=path.parent)
