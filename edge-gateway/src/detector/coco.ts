/** The 80 COCO class names, indexed by the 0-based class id the COCO TF.js models emit. */
export const COCO_CLASSES: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/**
 * Default map from COCO class name to streetwatch object class. Classes not in
 * the map are dropped by the detector. Configurable per deployment.
 */
export const DEFAULT_CLASS_MAP: Readonly<Record<string, string>> = {
  person: 'person',
  bicycle: 'bicycle',
  car: 'car',
  motorcycle: 'motorcycle',
  bus: 'bus',
  truck: 'truck',
  bench: 'bench',
  backpack: 'backpack',
  umbrella: 'umbrella',
  handbag: 'handbag',
  suitcase: 'suitcase',
  chair: 'chair',
  couch: 'couch',
  'potted plant': 'potted_plant',
  'dining table': 'dining_table',
  refrigerator: 'refrigerator',
  tv: 'tv',
};
