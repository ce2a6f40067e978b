import { Badge, type BadgeProps } from "@/components/ui/badge";
import type { TAvailabilityName, TSessionStateName } from "@/lib/dto/sessions";

type TTone = NonNullable<BadgeProps["tone"]>;

export function stateTone(state: TSessionStateName): TTone {
  switch (state) {
    case "Opened":
      return "good";
    case "Disconnected":
      return "info";
    case "Broken":
      return "bad";
    case "Closed":
      return "neutral";
    case "Connecting":
    case "Disconnecting":
      return "warn";
  }
}

export function availabilityTone(availability: TAvailabilityName): TTone {
  switch (availability) {
    case "Available":
      return "good";
    case "Busy":
      return "warn";
    case "None":
      return "neutral";
  }
}

export function StateBadge({ state }: { state: TSessionStateName }) {
  return <Badge tone={stateTone(state)}>{state}</Badge>;
}

export function AvailabilityBadge({ availability }: { availability: TAvailabilityName }) {
  return <Badge tone={availabilityTone(availability)}>{availability}</Badge>;
}
