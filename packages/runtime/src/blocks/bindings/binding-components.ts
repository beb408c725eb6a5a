import { isInputBinding, isOutputBinding, metadataValue, type InputBinding, type OutputBinding } from '@outrigger/components-api';
import type { ComponentHost, LoadedComponent } from '../../components/component-host.js';

/** Which directions a binding component serves in this sidecar. */
export interface BindingDirections {
  readonly input: boolean;
  readonly output: boolean;
  /** `direction` names `input`: the app is not asked with `OPTIONS /{name}` whether it wants the events. */
  readonly explicitInput: boolean;
}

/**
 * The component's `direction` metadata (`input`, `output`, `input, output`) limits it to those
 * directions, as daprd does; without it, a binding serves every direction it implements.
 */
export function bindingDirections(component: LoadedComponent): BindingDirections {
  const declared = metadataValue(component.metadata, 'direction');
  const named = declared === undefined ? undefined : declared.split(',').map((part) => part.trim().toLowerCase());
  const explicitInput = named?.includes('input') ?? false;
  return {
    input: isInputBinding(component.instance) && (named === undefined || explicitInput),
    output: isOutputBinding(component.instance) && (named === undefined || named.includes('output')),
    explicitInput,
  };
}

/** The app path input events go to: the `route` metadata, else the component name. */
export function inputRoute(component: LoadedComponent): string {
  const route = metadataValue(component.metadata, 'route') ?? '';
  return `/${(route === '' ? component.name : route).replace(/^\/+/, '')}`;
}

/** The capabilities the metadata API shows for a binding, as daprd names them. */
export function bindingCapabilities(component: LoadedComponent): string[] {
  const directions = bindingDirections(component);
  return [...(directions.input ? ['INPUT_BINDING'] : []), ...(directions.output ? ['OUTPUT_BINDING'] : [])];
}

export function findOutputBinding(host: ComponentHost, name: string): OutputBinding | undefined {
  const component = host.get(name);
  if (!component || component.registration.block !== 'bindings' || !bindingDirections(component).output) return undefined;
  return component.instance as OutputBinding;
}

export function inputBindings(host: ComponentHost): { component: LoadedComponent; binding: InputBinding; directions: BindingDirections }[] {
  return host.ofBlock('bindings').flatMap((component) => {
    const directions = bindingDirections(component);
    return directions.input ? [{ component, binding: component.instance as InputBinding, directions }] : [];
  });
}
