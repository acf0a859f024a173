// A settings form generated from a node kind's zod schema (through z.toJSONSchema), with the
// document's validation problems shown inline next to the field they are about.
import { useEffect, useState, type JSX, type KeyboardEvent } from 'react';
import type { TopologyProblem } from '../../../shared/contract.js';

/** The subset of JSON Schema the form understands. */
export interface JsonSchema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  description?: string;
  title?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
}

type Path = (string | number)[];

/** Props shared by every field. */
interface FieldProps {
  schema: JsonSchema;
  path: Path;
  value: unknown;
  problems: TopologyProblem[];
  /** The document path of the form's object (e.g. ["nodes", "h1"]). */
  base: Path;
  onSet: (path: Path, value: unknown) => void;
}

function samePrefix(path: Path, prefix: Path): boolean {
  return prefix.every((p, i) => String(path[i]) === String(p));
}

function problemsAt(
  problems: TopologyProblem[],
  base: Path,
  path: Path,
  exact: boolean,
): TopologyProblem[] {
  const full = [...base, ...path];
  return problems.filter((p) =>
    exact ? p.path.length === full.length && samePrefix(p.path, full) : samePrefix(p.path, full),
  );
}

function isStringList(s: JsonSchema): boolean {
  if (s.type === 'array' && s.items?.type === 'string') return true;
  return (
    !!s.anyOf &&
    s.anyOf.every((o) => o.type === 'string' || (o.type === 'array' && o.items?.type === 'string'))
  );
}

/** Shows a scalar as text (objects as JSON). */
function scalarText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function listText(value: unknown): string {
  if (Array.isArray(value)) return value.map(scalarText).join(', ');
  return scalarText(value);
}

function testId(path: Path): string {
  return `field-${path.join('.')}`;
}

/** A text input that commits on Enter or blur. */
function CommitInput({
  value,
  onCommit,
  id,
  placeholder,
  type = 'text',
}: {
  value: string;
  onCommit: (v: string) => void;
  id: string;
  placeholder?: string;
  type?: string;
}): JSX.Element {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = (): void => {
    if (draft !== value) onCommit(draft);
  };
  return (
    <input
      type={type}
      data-testid={id}
      value={draft}
      placeholder={placeholder}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setDraft(value);
      }}
    />
  );
}

function Problems({ list }: { list: TopologyProblem[] }): JSX.Element | null {
  if (list.length === 0) return null;
  return (
    <ul className="field-problems" role="alert">
      {list.map((p, i) => (
        <li key={i}>{p.message}</li>
      ))}
    </ul>
  );
}

function ScalarField({ schema, path, value, problems, base, onSet }: FieldProps): JSX.Element {
  const id = testId(path);
  const here = problemsAt(problems, base, path, false);
  let control: JSX.Element;
  if (schema.enum) {
    control = (
      <select
        data-testid={id}
        value={scalarText(value)}
        onChange={(e) => onSet(path, e.target.value === '' ? undefined : e.target.value)}
      >
        <option value="">(default)</option>
        {schema.enum.map((v) => (
          <option key={String(v)} value={String(v)}>
            {String(v)}
          </option>
        ))}
      </select>
    );
  } else if (schema.type === 'boolean') {
    control = (
      <input
        type="checkbox"
        data-testid={id}
        checked={value === true || (value === undefined && schema.default === true)}
        onChange={(e) => onSet(path, e.target.checked)}
      />
    );
  } else if (schema.type === 'integer' || schema.type === 'number') {
    control = (
      <CommitInput
        id={id}
        type="number"
        value={scalarText(value)}
        placeholder={scalarText(schema.default)}
        onCommit={(v) => onSet(path, v.trim() === '' ? undefined : Number(v))}
      />
    );
  } else if (isStringList(schema)) {
    control = (
      <CommitInput
        id={id}
        value={listText(value)}
        placeholder={Array.isArray(schema.default) ? schema.default.join(', ') : 'comma-separated'}
        onCommit={(v) => {
          const items = v.split(/[,\s]+/).filter((x) => x !== '');
          onSet(path, items.length === 0 ? undefined : items);
        }}
      />
    );
  } else if (
    schema.type === 'string' ||
    (schema.anyOf && schema.anyOf.some((o) => o.type === 'string'))
  ) {
    control = (
      <CommitInput
        id={id}
        value={scalarText(value)}
        onCommit={(v) => onSet(path, v === '' ? undefined : v)}
      />
    );
  } else {
    control = (
      <CommitInput
        id={id}
        value={value === undefined ? '' : JSON.stringify(value)}
        placeholder='JSON, e.g. [{"to": "default", "via": "192.0.2.254"}]'
        onCommit={(v) => {
          if (v.trim() === '') return onSet(path, undefined);
          try {
            onSet(path, JSON.parse(v) as unknown);
          } catch {
            onSet(path, v);
          }
        }}
      />
    );
  }
  return (
    <label className={`field ${here.length > 0 ? 'invalid' : ''}`} title={schema.description}>
      <span className="field-name">{String(path[path.length - 1])}</span>
      {control}
      <Problems list={here} />
    </label>
  );
}

function RecordField(props: FieldProps & { item: JsonSchema }): JSX.Element {
  const { path, value, item, onSet, schema } = props;
  const entries: [string, unknown][] =
    typeof value === 'object' && value !== null ? Object.entries(value) : [];
  const [newKey, setNewKey] = useState('');
  return (
    <fieldset className="record" title={schema.description}>
      <legend>{String(path[path.length - 1])}</legend>
      {entries.map(([key, v]) => (
        <div key={key} className="record-entry">
          <div className="record-head">
            <strong>{key}</strong>
            <button
              type="button"
              className="small"
              onClick={() => onSet([...path, key], undefined)}
            >
              remove
            </button>
          </div>
          {item.type === 'object' && item.properties ? (
            <ObjectFields {...props} schema={item} path={[...path, key]} value={v} />
          ) : (
            <ScalarField {...props} schema={item} path={[...path, key]} value={v} />
          )}
        </div>
      ))}
      <div className="record-add">
        <input
          value={newKey}
          placeholder="new name"
          data-testid={`add-${path.join('.')}`}
          onChange={(e) => setNewKey(e.target.value)}
        />
        <button
          type="button"
          className="small"
          disabled={newKey.trim() === ''}
          onClick={() => {
            onSet([...path, newKey.trim()], item.type === 'object' ? {} : '');
            setNewKey('');
          }}
        >
          add
        </button>
      </div>
    </fieldset>
  );
}

function ObjectFields(props: FieldProps): JSX.Element {
  const { schema, path, value } = props;
  const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return (
    <div className="object-fields">
      {Object.entries(schema.properties ?? {}).map(([key, sub]) => {
        if (key === 'kind') return null;
        return <Field key={key} {...props} schema={sub} path={[...path, key]} value={obj[key]} />;
      })}
    </div>
  );
}

function Field(props: FieldProps): JSX.Element {
  const { schema } = props;
  if (schema.type === 'object' && schema.properties) {
    return (
      <fieldset className="object" title={schema.description}>
        <legend>{String(props.path[props.path.length - 1])}</legend>
        <ObjectFields {...props} />
      </fieldset>
    );
  }
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return <RecordField {...props} item={schema.additionalProperties} />;
  }
  return <ScalarField {...props} />;
}

/** The form for one object: every property of the schema except "kind". */
export function SchemaForm(props: Omit<FieldProps, 'path'>): JSX.Element {
  return <ObjectFields {...props} path={[]} />;
}
