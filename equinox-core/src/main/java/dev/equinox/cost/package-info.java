/**
 * Engine cost models: how long a step takes and what each request in it costs. Entry point: {@link dev.equinox.cost.CostModels}.
 */
package dev.equinox.cost;
