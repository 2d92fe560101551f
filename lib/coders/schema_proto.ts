/**
 * Schemas to and from Beam's Schema proto (schema.proto), the payload of `beam:coder:row:v1`.
 * Loaded only by row users: it pulls in the generated schema messages.
 */
import { createHash } from "node:crypto";
import * as proto from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/schema";
import { CoderError } from "./errors";
import { AtomicTypeName, FieldType, FieldTypeSpec, Schema, SchemaField } from "./schema";

const ATOMIC_NAMES: Readonly<Record<number, AtomicTypeName>> = {
  [proto.AtomicType.BYTE]: "BYTE",
  [proto.AtomicType.INT16]: "INT16",
  [proto.AtomicType.INT32]: "INT32",
  [proto.AtomicType.INT64]: "INT64",
  [proto.AtomicType.FLOAT]: "FLOAT",
  [proto.AtomicType.DOUBLE]: "DOUBLE",
  [proto.AtomicType.STRING]: "STRING",
  [proto.AtomicType.BOOLEAN]: "BOOLEAN",
  [proto.AtomicType.BYTES]: "BYTES",
};

type ArgumentValue = number | bigint | string | boolean | Uint8Array;

/** Reads a Schema proto (a row coder's payload). Throws a CoderError naming the field it cannot read. */
export function schemaFromProto(bytes: Uint8Array): Schema {
  let message: proto.Schema;
  try {
    message = proto.Schema.fromBinary(bytes);
  } catch (e) {
    throw new CoderError(`beam:coder:row:v1 payload is not a Beam Schema proto: ${(e as Error).message}`, { cause: e });
  }
  return fromMessage(message, bytes);
}

function fromMessage(message: proto.Schema, bytes?: Uint8Array): Schema {
  const fields: SchemaField[] = message.fields.map((f) => ({
    name: f.name,
    type: fieldTypeFromMessage(f.type, `field '${f.name}'`),
    ...(f.description !== "" ? { description: f.description } : {}),
  }));
  const encodingPositions = message.encodingPositionsSet ? message.fields.map((f) => f.encodingPosition) : undefined;
  try {
    return Schema.fromFields(fields, { encodingPositions, id: message.id || undefined, proto: bytes });
  } catch (e) {
    throw new CoderError(`Beam Schema ${message.id || "(no id)"} is invalid: ${(e as Error).message}`, { cause: e });
  }
}

function need<T>(t: T | undefined, where: string, what: string): T {
  if (t === undefined) throw new CoderError(`Beam Schema ${where} has no ${what}: the schema proto is malformed`);
  return t;
}

function fieldTypeFromMessage(t: proto.FieldType | undefined, where: string): FieldType<unknown> {
  const type = need(t, where, "type");
  let base: FieldType<unknown>;
  const info = type.typeInfo;
  switch (info.oneofKind) {
    case "atomicType": {
      const name = ATOMIC_NAMES[info.atomicType];
      if (name === undefined) throw new CoderError(`Beam Schema ${where} has atomic type ${info.atomicType}, which is not a Beam AtomicType`);
      base = (FieldType as unknown as Record<AtomicTypeName, FieldType<unknown>>)[name];
      break;
    }
    case "arrayType":
      base = FieldType.array(fieldTypeFromMessage(info.arrayType.elementType, `${where} (array element)`));
      break;
    case "iterableType":
      base = FieldType.iterable(fieldTypeFromMessage(info.iterableType.elementType, `${where} (iterable element)`));
      break;
    case "mapType":
      base = FieldType.map(fieldTypeFromMessage(info.mapType.keyType, `${where} (map key)`), fieldTypeFromMessage(info.mapType.valueType, `${where} (map value)`));
      break;
    case "rowType":
      base = FieldType.row(fromMessage(need(info.rowType.schema, where, "row schema")));
      break;
    case "logicalType": {
      const lt = info.logicalType;
      const representation = fieldTypeFromMessage(lt.representation, `${where} (representation of ${lt.urn})`);
      const argument =
        lt.argumentType !== undefined && lt.argument?.fieldValue.oneofKind === "atomicValue" && lt.argument.fieldValue.atomicValue.value.oneofKind !== undefined
          ? { type: fieldTypeFromMessage(lt.argumentType, `${where} (argument of ${lt.urn})`), value: atomicArgument(lt.argument.fieldValue.atomicValue) }
          : undefined;
      base = FieldType.logical(lt.urn, representation, { ...(argument !== undefined ? { argument } : {}), ...(lt.payload.length > 0 ? { payload: lt.payload } : {}) });
      break;
    }
    default:
      throw new CoderError(`Beam Schema ${where} has a field type with no type_info: the schema proto is malformed`);
  }
  return type.nullable ? FieldType.nullable(base) : base;
}

function atomicArgument(v: proto.AtomicTypeValue): ArgumentValue {
  const value = v.value;
  switch (value.oneofKind) {
    case "byte":
      return value.byte;
    case "int16":
      return value.int16;
    case "int32":
      return value.int32;
    case "int64":
      return value.int64;
    case "float":
      return value.float;
    case "double":
      return value.double;
    case "string":
      return value.string;
    case "boolean":
      return value.boolean;
    case "bytes":
      return value.bytes;
    default:
      return 0;
  }
}

function atomicValueMessage(type: FieldTypeSpec, value: ArgumentValue): proto.AtomicTypeValue {
  const name = type.kind === "atomic" ? type.atomic : "BYTES";
  const v = ((): proto.AtomicTypeValue["value"] => {
    switch (name) {
      case "BYTE":
        return { oneofKind: "byte", byte: Number(value) };
      case "INT16":
        return { oneofKind: "int16", int16: Number(value) };
      case "INT32":
        return { oneofKind: "int32", int32: Number(value) };
      case "INT64":
        return { oneofKind: "int64", int64: BigInt(value as number | bigint) };
      case "FLOAT":
        return { oneofKind: "float", float: Number(value) };
      case "DOUBLE":
        return { oneofKind: "double", double: Number(value) };
      case "STRING":
        return { oneofKind: "string", string: String(value) };
      case "BOOLEAN":
        return { oneofKind: "boolean", boolean: Boolean(value) };
      default:
        return { oneofKind: "bytes", bytes: value as Uint8Array };
    }
  })();
  return { value: v };
}

function fieldTypeMessage(t: FieldType<unknown>): proto.FieldType {
  const s = t.spec;
  let typeInfo: proto.FieldType["typeInfo"];
  switch (s.kind) {
    case "atomic":
      typeInfo = { oneofKind: "atomicType", atomicType: proto.AtomicType[s.atomic] };
      break;
    case "array":
      typeInfo = { oneofKind: "arrayType", arrayType: { elementType: fieldTypeMessage(s.element) } };
      break;
    case "iterable":
      typeInfo = { oneofKind: "iterableType", iterableType: { elementType: fieldTypeMessage(s.element) } };
      break;
    case "map":
      typeInfo = { oneofKind: "mapType", mapType: { keyType: fieldTypeMessage(s.key), valueType: fieldTypeMessage(s.value) } };
      break;
    case "row":
      typeInfo = { oneofKind: "rowType", rowType: { schema: schemaMessage(s.schema) } };
      break;
    case "logical":
      typeInfo = {
        oneofKind: "logicalType",
        logicalType: proto.LogicalType.create({
          urn: s.urn,
          payload: s.payload ?? new Uint8Array(0),
          representation: fieldTypeMessage(s.representation),
          ...(s.argument !== undefined
            ? { argumentType: fieldTypeMessage(s.argument.type), argument: { fieldValue: { oneofKind: "atomicValue", atomicValue: atomicValueMessage(s.argument.type.spec, s.argument.value) } } }
            : {}),
        }),
      };
      break;
  }
  return { nullable: t.nullable, typeInfo };
}

function schemaMessage(schema: Schema<object>): proto.Schema {
  if (schema.proto !== undefined) return proto.Schema.fromBinary(schema.proto);
  const positions = schema.encodingPositions;
  const message = proto.Schema.create({
    fields: schema.fields.map((f, i) =>
      proto.Field.create({ name: f.name, description: f.description ?? "", type: fieldTypeMessage(f.type), ...(positions !== undefined ? { encodingPosition: positions[i] } : {}) }),
    ),
    encodingPositionsSet: positions !== undefined,
  });
  // Beam SDKs key generated row classes by the schema id: give equal schemas equal ids, so a
  // pipeline proto is the same from run to run (a name-based UUID of the schema's content).
  message.id = schema.id ?? contentUuid(proto.Schema.toBinary(message));
  return message;
}

function contentUuid(bytes: Uint8Array): string {
  const h = createHash("sha1").update(bytes).digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version 5 (name-based, SHA-1)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The Schema proto of `schema` (a row coder's payload): the proto it was read from, unchanged, if any. */
export function schemaToProto(schema: Schema<object>): Uint8Array {
  return schema.proto ?? proto.Schema.toBinary(schemaMessage(schema));
}
